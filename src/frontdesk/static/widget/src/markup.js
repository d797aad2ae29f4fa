// The static markup of the launcher and the panel, with its icons.

const ICON_CHAT = '<svg class="fd-icon-chat" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z"/></svg>';
const ICON_CHEVRON = '<svg class="fd-icon-close" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M6 9l6 6 6-6"/></svg>';
const ICON_X = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>';
const ICON_SEND = '<svg viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M3.4 20.4l17.45-7.48a1 1 0 0 0 0-1.84L3.4 3.6a.99.99 0 0 0-1.39.91L2 9.12c0 .5.37.93.87.99L17 12 2.87 13.88c-.5.07-.87.5-.87 1l.01 4.61c0 .71.73 1.2 1.39.91z"/></svg>';
const ICON_PERSON = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true"><circle cx="12" cy="8" r="4"/><path d="M4 21a8 8 0 0 1 16 0"/></svg>';

// Static markup only: every piece of server or visitor data is set with textContent later.
const TEMPLATE = `
  <div class="fd-root" data-position="right">
    <button class="fd-launcher" type="button" aria-label="Open chat" aria-expanded="false" aria-controls="fd-panel">
      ${ICON_CHAT}${ICON_CHEVRON}
      <span class="fd-badge" aria-hidden="true" hidden></span>
    </button>
    <section class="fd-panel" id="fd-panel" role="dialog" aria-label="Chat" data-open="false">
      <header class="fd-header">
        <div class="fd-avatar" aria-hidden="true"></div>
        <div class="fd-heading">
          <h2 class="fd-name">Chat</h2>
          <p class="fd-sub"></p>
        </div>
        <button class="fd-close" type="button" aria-label="Close chat">${ICON_X}</button>
      </header>
      <div class="fd-log" role="log" aria-live="polite" aria-label="Messages" tabindex="0"></div>
      <div class="fd-typing" hidden>
        <span class="fd-dots" aria-hidden="true"><i></i><i></i><i></i></span>
        <span class="fd-typing-text"></span>
      </div>
      <p class="fd-status" role="status" hidden></p>
      <section class="fd-csat" aria-labelledby="fd-csat-q" hidden>
        <p class="fd-csat-q" id="fd-csat-q">How did we do?</p>
        <div class="fd-csat-scores" role="group" aria-labelledby="fd-csat-q"></div>
        <p class="fd-csat-note" role="status"></p>
      </section>
      <div class="fd-footer">
        <button class="fd-handoff" type="button">${ICON_PERSON}<span>Talk to a person</span></button>
        <p class="fd-error" role="alert" hidden></p>
        <form class="fd-composer" novalidate>
          <textarea class="fd-input" rows="1" maxlength="${MAX_LENGTH}" aria-label="Message"
                    placeholder="Write a message\u2026" autocomplete="off"></textarea>
          <button class="fd-send" type="submit" aria-label="Send message" disabled>${ICON_SEND}</button>
        </form>
        <p class="fd-count" hidden></p>
        <p class="fd-powered">Powered by Frontdesk</p>
      </div>
    </section>
  </div>
`;
