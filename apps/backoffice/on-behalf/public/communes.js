/* global document */
// Progressive enhancement of the on-behalf form (no build step, no inline script: CSP script-src 'self').
// Without this file the page works: « Vérifier le code postal » narrows the commune list on the server. With it, the
// list of each address is narrowed as the postcode is typed, from the postcodes each option carries
// (`data-codes-postaux`), and the only commune of a postcode is chosen. A commune already chosen that the postcode
// does not serve keeps the whole list (as the server does), so that a choice is never silently dropped.

document.querySelectorAll('select[data-code-postal-de]').forEach((select) => {
  const postcode = document.getElementById(select.dataset.codePostalDe);
  const status = document.getElementById(select.dataset.statut);
  if (!postcode || !select.options.length) return;
  const placeholder = select.options[0];
  const all = [...select.options].slice(1).map((option) => ({ option, codes: (option.dataset.codesPostaux || '').split(' ').filter(Boolean) }));
  let shown = all.length;

  const narrow = () => {
    const code = postcode.value.replace(/\s+/g, '');
    const chosen = select.value;
    const matching = /^\d{5}$/.test(code) ? all.filter((c) => c.codes.includes(code)) : [];
    const keepAll = !matching.length || (chosen !== '' && !matching.some((c) => c.option.value === chosen));
    const list = keepAll ? all : matching;
    if (list.length !== shown || !keepAll) {
      select.replaceChildren(placeholder, ...list.map((c) => c.option));
      select.value = list.some((c) => c.option.value === chosen) ? chosen : '';
      shown = list.length;
    }
    if (!keepAll && matching.length === 1 && select.value === '') select.value = matching[0].option.value;
    if (status) {
      status.textContent = keepAll
        ? ''
        : matching.length === 1
          ? `Code postal ${code} : commune ${matching[0].option.textContent}.`
          : `Code postal ${code} : ${matching.length} communes possibles dans la liste.`;
    }
  };
  postcode.addEventListener('input', narrow);
});
