/* global document, XMLHttpRequest, Option */
// Progressive enhancement of the portal's form pages (no build step, no inline script: CSP script-src 'self').
// Without this file every page works: the server evaluates conditions, adds/removes block items, takes files
// and geocodes places. With it: live display conditions, blocks edited in place, uploads with progress, a map
// picker (Leaflet) and address suggestions.

const form = document.querySelector('form[data-form-page]');

// The error summary takes the focus, so that screen reader users hear what to fix first.
const summary = document.querySelector('.error-summary');
if (summary) summary.focus();

document.querySelectorAll('form[data-submit-once]').forEach((f) => {
  f.addEventListener('submit', (event) => {
    if (f.dataset.sent) {
      event.preventDefault();
      return;
    }
    f.dataset.sent = '1';
    f.querySelectorAll('button[type="submit"]').forEach((b) => b.setAttribute('aria-disabled', 'true'));
  });
});

if (form) enhance(form);

function enhance(form) {
  const csrf = form.dataset.csrf;
  const shownInput = form.querySelector('[data-shown]');

  // ---------------------------------------------------------------------------------- live conditions
  let timer = null;
  let sequence = 0;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(updateVisibility, 150);
  };
  async function updateVisibility() {
    const current = ++sequence;
    const body = {};
    for (const [name, value] of new FormData(form)) {
      if (!name.startsWith('f.') || typeof value !== 'string') continue;
      if (Object.hasOwn(body, name)) body[name] = [].concat(body[name], value);
      else body[name] = value;
    }
    try {
      const response = await fetch(form.dataset.visibilityUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, accept: 'application/json' },
        body: JSON.stringify(body),
        credentials: 'same-origin',
      });
      if (!response.ok || current !== sequence) return;
      const { shown } = await response.json();
      const visible = new Set(shown);
      form.querySelectorAll('[data-key]').forEach((element) => {
        if (element.closest('template')) return;
        const key = element.dataset.key;
        element.hidden = !visible.has(key);
      });
      shownInput.value = shown.join(',');
    } catch {
      // Offline or refused: the server still decides when the page is sent.
    }
  }
  form.addEventListener('change', (event) => {
    if (event.target.type !== 'file') refresh();
  });
  form.addEventListener('input', (event) => {
    if (event.target.type === 'radio' || event.target.type === 'checkbox') return;
    refresh();
  });

  // ---------------------------------------------------------------------------------- repeatable blocks
  form.querySelectorAll('[data-block]').forEach((block) => {
    const items = block.querySelector('[data-block-items]');
    const template = block.querySelector('template[data-block-template]');
    const add = block.querySelector('[data-block-add]');
    const max = Number(block.dataset.maxItems || 20);
    const label = (template.content.querySelector('legend')?.textContent || 'Élément').trim();
    const renumber = () => {
      items.querySelectorAll(':scope > [data-block-item]').forEach((item, i) => {
        const legend = item.querySelector(':scope > legend');
        legend.textContent = `${label} ${i + 1}`;
        const hidden = item.querySelector(':scope > [data-block-remove] .visually-hidden');
        if (hidden) hidden.textContent = ` (${label} ${i + 1})`;
      });
      if (add) add.hidden = items.querySelectorAll(':scope > [data-block-item]').length >= max;
    };
    const nextIndex = () => {
      let index = 0;
      items.querySelectorAll(':scope > [data-block-item]').forEach((item) => {
        const n = Number(item.id.split('-').pop());
        if (Number.isInteger(n) && n >= index) index = n + 1;
      });
      return index;
    };
    if (add) {
      add.addEventListener('click', (event) => {
        event.preventDefault();
        const index = String(nextIndex());
        const fragment = template.content.cloneNode(true);
        fragment.querySelectorAll('*').forEach((element) => {
          for (const attribute of ['id', 'name', 'for', 'aria-describedby', 'value', 'data-key', 'data-file-field']) {
            const value = element.getAttribute(attribute);
            if (value && value.includes('__i__')) element.setAttribute(attribute, value.replaceAll('__i__', index));
          }
        });
        const item = fragment.querySelector('[data-block-item]');
        items.appendChild(fragment);
        renumber();
        bindRemove(item);
        item.querySelectorAll('[data-file-field]').forEach(bindUpload);
        item.focus();
        refresh();
      });
    }
    const bindRemove = (item) => {
      const remove = item.querySelector(':scope > [data-block-remove]');
      remove?.addEventListener('click', (event) => {
        event.preventDefault();
        const previous = item.previousElementSibling;
        // Files this item uploaded (not sent yet) go with it, on the server too.
        item.querySelectorAll('input[type="hidden"][name$=".staged"]').forEach((staged) => unstage(staged.name.slice(0, -'.staged'.length), staged.value));
        item.remove();
        renumber();
        (previous || add || block).focus();
        refresh();
      });
    };
    items.querySelectorAll(':scope > [data-block-item]').forEach(bindRemove);
  });

  // ---------------------------------------------------------------------------------- uploads with progress
  // A file uploaded but removed before its page is sent is deleted on the server at once (otherwise the storage
  // sweep deletes it a day later).
  function unstage(field, token) {
    fetch(`${form.dataset.uploadUrl}/retirer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, accept: 'application/json' },
      body: JSON.stringify({ field, token }),
      credentials: 'same-origin',
    }).catch(() => {});
  }
  // A file field at the top level, or in a block's item (also one added in place): `data-file-field` is its key.
  function bindUpload(wrapper) {
    const input = wrapper.querySelector('input[type="file"]');
    const progress = wrapper.querySelector('[data-file-progress]');
    const list = wrapper.querySelector('[data-file-staged]');
    const fieldId = wrapper.dataset.fileField;
    if (!input) return;
    input.addEventListener('change', async () => {
      const files = [...input.files];
      input.value = '';
      for (const file of files) await upload(file);
    });
    const say = (text, isError) => {
      let message = wrapper.querySelector('[data-upload-message]');
      if (!message) {
        message = document.createElement('p');
        message.dataset.uploadMessage = '';
        message.setAttribute('role', 'alert');
        input.before(message);
      }
      message.className = isError ? 'error-message' : 'hint';
      message.textContent = text;
    };
    const upload = (file) =>
      new Promise((resolve) => {
        if (file.size > Number(wrapper.dataset.maxBytes)) {
          say(`Le fichier « ${file.name} » est trop volumineux.`, true);
          return resolve();
        }
        const data = new FormData();
        data.append(`f.${fieldId}`, file, file.name);
        const xhr = new XMLHttpRequest();
        xhr.open('POST', form.dataset.uploadUrl);
        xhr.setRequestHeader('x-csrf-token', csrf);
        xhr.setRequestHeader('accept', 'application/json');
        progress.hidden = false;
        progress.value = 0;
        xhr.upload.addEventListener('progress', (event) => {
          if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
        });
        xhr.addEventListener('loadend', () => {
          progress.hidden = true;
          let answer;
          try {
            answer = JSON.parse(xhr.responseText);
          } catch {
            answer = {};
          }
          const sent = answer.files?.find((f) => f.token);
          if (xhr.status === 200 && sent) {
            const item = document.createElement('li');
            const name = document.createElement('span');
            name.className = 'file-name';
            name.textContent = `${sent.name} — envoyé`;
            const hidden = document.createElement('input');
            hidden.type = 'hidden';
            hidden.name = `f.${fieldId}.staged`;
            hidden.value = sent.token;
            const remove = document.createElement('button');
            remove.type = 'button';
            remove.className = 'button secondary small';
            remove.textContent = 'Retirer';
            remove.setAttribute('aria-label', `Retirer le fichier ${sent.name}`);
            remove.addEventListener('click', () => {
              item.remove();
              input.focus();
              say(`Fichier « ${sent.name} » retiré.`, false);
              unstage(`f.${fieldId}`, sent.token);
            });
            item.append(name, ' ', remove, hidden);
            list.appendChild(item);
            say(`Fichier « ${sent.name} » envoyé.`, false);
          } else {
            say(answer.message || 'L’envoi du fichier a échoué : réessayez.', true);
          }
          resolve();
        });
        xhr.send(data);
      });
  }
  form.querySelectorAll('[data-file-field]').forEach(bindUpload);

  // ---------------------------------------------------------------------------------- combobox over a long list
  // A choice shown « autocomplete »: an ARIA 1.2 combobox (text input + listbox, aria-activedescendant) filters the
  // options as one types; the native <select> stays in the form, hidden, and carries the value sent.
  form.querySelectorAll('[data-combobox]').forEach(bindCombobox);

  // ---------------------------------------------------------------------------------- map picker
  const maps = form.querySelectorAll('[data-map]');
  if (maps.length) {
    import('/assets/leaflet/leaflet-src.esm.js')
      .then((L) => maps.forEach((fieldset) => mapPicker(L, fieldset)))
      .catch(() => {
        /* No map: the place field stays. */
      });
  }

  // ---------------------------------------------------------------------------------- address suggestions
  form.querySelectorAll('[data-address]').forEach(addressSuggestions);
}

function mapPicker(L, fieldset) {
  const container = fieldset.querySelector('[data-map-container]');
  const status = fieldset.querySelector('[data-map-status]');
  const latInput = fieldset.querySelector('[data-map-lat]');
  const lonInput = fieldset.querySelector('[data-map-lon]');
  const place = fieldset.querySelector('input[name$=".place"]');
  const bounds = (fieldset.dataset.bounds || '').split(',').map(Number);
  container.hidden = false;
  container.setAttribute('role', 'application');
  container.setAttribute('aria-label', 'Carte : déplacez-la avec les flèches, puis appuyez sur Entrée pour placer le repère au centre.');
  const map = L.map(container, { keyboard: true, attributionControl: true });
  map.attributionControl.setPrefix(false);
  const area = bounds.length === 4 && bounds.every(Number.isFinite) ? L.latLngBounds([bounds[0], bounds[1]], [bounds[2], bounds[3]]) : null;
  const start = latInput.value && lonInput.value ? L.latLng(Number(latInput.value), Number(lonInput.value)) : null;
  if (start) map.setView(start, 17);
  else if (area) map.fitBounds(area);
  else map.setView([45.76, 4.84], 12);
  if (area) map.setMaxBounds(area.pad(0.1));
  let failures = 0;
  let loaded = 0;
  const tiles = L.tileLayer(fieldset.dataset.tiles, { maxZoom: 19, attribution: '© contributeurs OpenStreetMap' });
  tiles.on('tileerror', () => {
    failures++;
    if (failures >= 4 && loaded === 0) {
      container.hidden = true;
      status.textContent = 'La carte n’a pas pu être chargée : indiquez l’adresse ou le lieu dans le champ ci-dessous.';
    }
  });
  tiles.on('tileload', () => loaded++);
  tiles.addTo(map);
  let marker = start ? L.marker(start, { alt: 'Point choisi', keyboard: false }).addTo(map) : null;
  const choose = (latlng) => {
    if (area && !area.contains(latlng)) {
      status.textContent = 'Ce point est hors de la zone prévue : choisissez un point dans la zone de la carte.';
      return;
    }
    if (marker) marker.setLatLng(latlng);
    else marker = L.marker(latlng, { alt: 'Point choisi', keyboard: false }).addTo(map);
    latInput.value = latlng.lat.toFixed(6);
    lonInput.value = latlng.lng.toFixed(6);
    if (place) place.value = '';
    status.textContent = `Point choisi : ${latlng.lat.toFixed(5).replace('.', ',')} ; ${latlng.lng.toFixed(5).replace('.', ',')} (latitude ; longitude).`;
  };
  map.on('click', (event) => choose(event.latlng));
  container.addEventListener('keydown', (event) => {
    if (event.target !== container) return;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      choose(map.getCenter());
    }
  });
}

function addressSuggestions(fieldset) {
  const street = fieldset.querySelector('[data-address-search]');
  if (!street) return;
  const postcode = fieldset.querySelector('input[name$=".postcode"]');
  const commune = fieldset.querySelector('select[name$=".inseeCode"]');
  const lat = fieldset.querySelector('[data-address-lat]');
  const lon = fieldset.querySelector('[data-address-lon]');
  const list = document.createElement('ul');
  list.className = 'address-suggestions';
  list.hidden = true;
  list.setAttribute('aria-label', 'Adresses proposées');
  street.after(list);
  const live = document.createElement('p');
  live.className = 'visually-hidden';
  live.setAttribute('aria-live', 'polite');
  list.after(live);
  let timer = null;
  street.addEventListener('input', () => {
    clearTimeout(timer);
    const q = street.value.trim();
    if (q.length < 3) {
      list.hidden = true;
      return;
    }
    timer = setTimeout(async () => {
      try {
        const response = await fetch(`/api/adresses?q=${encodeURIComponent(q)}`, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
        if (!response.ok) return;
        const { results } = await response.json();
        list.replaceChildren(
          ...results.map((result) => {
            const item = document.createElement('li');
            const button = document.createElement('button');
            button.type = 'button';
            button.textContent = result.label;
            button.addEventListener('click', () => {
              street.value = result.street || result.label;
              if (postcode) postcode.value = result.postcode;
              if (commune) {
                let option = [...commune.options].find((o) => o.value === result.inseeCode);
                if (!option) {
                  option = new Option(result.commune, result.inseeCode);
                  commune.add(option);
                }
                commune.value = result.inseeCode;
              }
              if (lat && lon && result.lat !== undefined) {
                lat.value = String(result.lat);
                lon.value = String(result.lon);
              }
              list.hidden = true;
              street.focus();
            });
            item.appendChild(button);
            return item;
          }),
        );
        list.hidden = results.length === 0;
        live.textContent = results.length ? `${results.length} adresse(s) proposée(s) sous le champ.` : '';
      } catch {
        list.hidden = true;
      }
    }, 300);
  });
}

/** Folds case and accents: « saint-genis » finds « Saint-Genis-Laval ». */
function fold(text) {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

function bindCombobox(wrapper) {
  const select = wrapper.querySelector('select');
  const label = wrapper.querySelector('label');
  if (!select || !label) return;
  const id = select.id;
  const options = [...select.options].filter((o) => o.value !== '').map((o) => ({ value: o.value, label: o.textContent.trim() }));

  // The text input takes the select's id: the label, the error summary's link and aria-describedby follow it.
  select.id = `${id}-liste`;
  select.hidden = true;
  select.setAttribute('aria-hidden', 'true');
  select.tabIndex = -1;
  const input = document.createElement('input');
  input.type = 'text';
  input.id = id;
  input.className = 'combobox-input';
  input.autocomplete = 'off';
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', `${id}-suggestions`);
  for (const name of ['aria-describedby', 'aria-invalid', 'aria-required']) if (select.hasAttribute(name)) input.setAttribute(name, select.getAttribute(name));
  const hintId = `${id}-aide-saisie`;
  const hint = document.createElement('p');
  hint.className = 'hint';
  hint.id = hintId;
  hint.textContent = 'Tapez quelques lettres puis choisissez dans la liste avec les flèches et Entrée.';
  input.setAttribute('aria-describedby', [input.getAttribute('aria-describedby'), hintId].filter(Boolean).join(' '));
  const list = document.createElement('ul');
  list.id = `${id}-suggestions`;
  list.className = 'combobox-list';
  list.setAttribute('role', 'listbox');
  list.setAttribute('aria-labelledby', label.id || (label.id = `${id}-etiquette`));
  list.hidden = true;
  const status = document.createElement('p');
  status.className = 'visually-hidden';
  status.setAttribute('role', 'status');
  const chosen = options.find((o) => o.value === select.value);
  input.value = chosen ? chosen.label : '';
  select.after(hint, input, list, status);

  let shown = [];
  let active = -1;
  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const highlight = (index) => {
    active = index;
    [...list.children].forEach((item, i) => item.setAttribute('aria-selected', String(i === index)));
    if (index >= 0) {
      input.setAttribute('aria-activedescendant', list.children[index].id);
      list.children[index].scrollIntoView({ block: 'nearest' });
    } else input.removeAttribute('aria-activedescendant');
  };
  const choose = (option) => {
    input.value = option ? option.label : '';
    select.value = option ? option.value : '';
    select.dispatchEvent(new Event('change', { bubbles: true }));
    close();
  };
  const open = () => {
    const query = fold(input.value.trim());
    shown = (query ? options.filter((o) => fold(o.label).includes(query)) : options).slice(0, 50);
    list.replaceChildren(
      ...shown.map((option, i) => {
        const item = document.createElement('li');
        item.id = `${id}-suggestion-${i}`;
        item.setAttribute('role', 'option');
        item.setAttribute('aria-selected', 'false');
        item.textContent = option.label;
        // mousedown: chosen before the input loses the focus.
        item.addEventListener('mousedown', (event) => {
          event.preventDefault();
          choose(option);
        });
        return item;
      }),
    );
    list.hidden = shown.length === 0;
    input.setAttribute('aria-expanded', String(shown.length > 0));
    active = -1;
    input.removeAttribute('aria-activedescendant');
    status.textContent = shown.length ? `${shown.length} suggestion${shown.length > 1 ? 's' : ''} : flèche bas pour les parcourir.` : 'Aucune suggestion.';
  };

  input.addEventListener('input', () => {
    // Typed text is not a choice until one is picked (or the text is exactly an option's label).
    select.value = '';
    open();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      if (list.hidden) open();
      if (shown.length) highlight(Math.min(active + 1, shown.length - 1));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      if (shown.length) highlight(Math.max(active - 1, 0));
    } else if (event.key === 'Enter') {
      if (!list.hidden && active >= 0) {
        event.preventDefault(); // picks the option, does not send the page
        choose(shown[active]);
      }
    } else if (event.key === 'Escape') {
      if (!list.hidden) {
        event.preventDefault();
        close();
      } else choose(null);
    }
  });
  input.addEventListener('blur', () => {
    const exact = options.find((o) => fold(o.label) === fold(input.value.trim()));
    if (exact && select.value !== exact.value) choose(exact);
    close();
  });
}
