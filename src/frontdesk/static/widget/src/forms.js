// Forms the AI asks the visitor to fill in (e.g. a lead form): fields, errors, send, skip.

// A datetime-local value is the visitor's wall clock; the offset says which one.
function withOffset(value) {
  const when = new Date(value);
  if (!value || Number.isNaN(when.getTime())) return value;
  const minutes = -when.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  return `${value.slice(0, 16)}${sign}${pad(minutes / 60)}:${pad(minutes % 60)}`;
}

const withForms = (Base) => class WidgetForms extends Base {
  renderForm(spec) {
    const form = h('form', { class: 'fd-form', 'data-form': spec.name, novalidate: true });
    const inputs = new Map();
    for (const field of Array.isArray(spec.fields) ? spec.fields : []) {
      const id = `fd-${spec.name}-${field.name}-${uuid().slice(0, 8)}`;
      const control = this.fieldControl(field, id);
      const error = h('div', { class: 'fd-field-error', id: `${id}-error`, hidden: true });
      control.setAttribute('aria-describedby', `${id}-error`);
      const label = `${field.label || field.name}${field.required ? ' *' : ''}`;
      form.append(h('div', { class: 'fd-field', 'data-field': field.name },
        h('label', { for: id }, label), control, error));
      inputs.set(field.name, { control, error });
    }
    const send = h('button', { type: 'submit', class: 'fd-form-send' }, 'Send');
    const skip = h('button', { type: 'button', class: 'fd-form-skip' }, 'Skip');
    const note = h('div', { class: 'fd-form-note', role: 'status' });
    form.append(h('div', { class: 'fd-form-actions' }, skip, send), note);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submitForm(form, spec.name, inputs);
    });
    skip.addEventListener('click', () => this.skipForm(form, spec.name));
    this.setFormState(form, this.pendingForm === spec.name ? 'open' : 'closed');
    return form;
  }

  fieldControl(field, id) {
    const common = { id, name: field.name, required: Boolean(field.required) };
    if (field.placeholder) common.placeholder = String(field.placeholder);
    if (field.type === 'textarea') return h('textarea', { ...common, rows: '3' });
    if (field.type === 'select') {
      const select = h('select', common, h('option', { value: '' }, 'Choose…'));
      for (const option of field.options || []) select.append(h('option', { value: String(option) }, String(option)));
      return select;
    }
    const types = { email: 'email', phone: 'tel', number: 'number', date: 'date', datetime: 'datetime-local' };
    const extra = field.type === 'phone' ? { autocomplete: 'tel' } : field.type === 'email' ? { autocomplete: 'email' } : {};
    return h('input', { ...common, ...extra, type: types[field.type] || 'text' });
  }

  setFormState(form, state, note) {
    form.setAttribute('data-state', state);
    const open = state === 'open';
    for (const control of form.querySelectorAll('input, select, textarea, button')) control.disabled = !open;
    form.querySelector('.fd-form-note').textContent = note || {
      sent: 'Thanks — your details were sent to our team.',
      skipped: 'Skipped.',
      closed: 'This form is closed.',
    }[state] || '';
  }

  setPendingForm(name) {
    this.pendingForm = name || null;
    const forms = [...this.ui.log.querySelectorAll('.fd-form')];
    const latest = forms.filter((f) => f.dataset.form === this.pendingForm).pop();
    for (const form of forms) {
      const state = form.getAttribute('data-state');
      if (form === latest) this.setFormState(form, 'open');
      else if (state === 'open') this.setFormState(form, 'closed');
    }
  }

  async submitForm(form, name, inputs) {
    if (form.getAttribute('data-state') !== 'open' || form.dataset.busy) return;
    const values = {};
    for (const [field, { control, error }] of inputs) {
      values[field] = control.type === 'datetime-local' ? withOffset(control.value) : control.value;
      error.hidden = true;
      error.textContent = '';
      control.removeAttribute('aria-invalid');
    }
    form.dataset.busy = 'true';
    this.showError(null);
    try {
      await api('POST', `/conversations/${encodeURIComponent(this.conv.id)}/forms/${encodeURIComponent(name)}`,
        { body: { values }, token: this.conv.token });
      this.setFormState(form, 'sent');
    } catch (error) {
      const fields = (error.fields && typeof error.fields === 'object') ? error.fields : null;
      if (fields) {
        let first = null;
        for (const [field, message] of Object.entries(fields)) {
          const slot = inputs.get(field);
          if (!slot) continue;
          slot.error.textContent = String(message);
          slot.error.hidden = false;
          slot.control.setAttribute('aria-invalid', 'true');
          first = first || slot.control;
        }
        if (first) first.focus();
        else this.showError(error.message);
      } else {
        this.showError(error.message);
      }
    } finally {
      delete form.dataset.busy;
    }
  }

  async skipForm(form, name) {
    if (form.getAttribute('data-state') !== 'open') return;
    try {
      const data = await api('POST',
        `/conversations/${encodeURIComponent(this.conv.id)}/forms/${encodeURIComponent(name)}/skip`,
        { token: this.conv.token });
      this.setFormState(form, 'skipped');
      if (data && data.status) this.setStatus(data.status);
    } catch (error) {
      this.showError(error.message);
    }
  }
};
