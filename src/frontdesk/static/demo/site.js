// The demo site's own script (its CSP runs no inline handlers): the newsletter form.

const newsletter = document.querySelector('.newsletter form');
if (newsletter) {
  newsletter.addEventListener('submit', (event) => {
    event.preventDefault();
    newsletter.querySelector('.newsletter-thanks').hidden = false;
  });
}
