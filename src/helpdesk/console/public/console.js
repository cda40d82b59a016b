// Agent console: canned replies. All wording stays in the page; this only moves text around.
(() => {
  'use strict';
  const target = document.getElementById('reply-text');
  if (!target) return;
  for (const button of document.querySelectorAll('.use-canned')) {
    button.addEventListener('click', () => {
      const source = document.getElementById(button.getAttribute('data-source'));
      if (!source) return;
      target.value = source.textContent;
      target.focus();
    });
  }
})();
