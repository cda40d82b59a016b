// Agent console: canned replies, the transcript at its newest message, and live queue updates.
// All wording stays in the pages; this only moves text and elements around.
(() => {
  'use strict';

  // Suggested answers: copy into the reply box.
  const target = document.getElementById('reply-text');
  if (target) {
    for (const button of document.querySelectorAll('.use-canned')) {
      button.addEventListener('click', () => {
        const source = document.getElementById(button.getAttribute('data-source'));
        if (!source) return;
        target.value = source.textContent;
        target.focus();
      });
    }
  }

  // The transcript opens at the newest message.
  const transcript = document.getElementById('transcript');
  if (transcript) transcript.scrollTop = transcript.scrollHeight;

  // The queue: on a ticket change anywhere, fetch this page again and swap its rows in place,
  // marking rows that were not there before and counting them in the badge.
  const rows = document.getElementById('queue-rows');
  if (!rows || rows.getAttribute('data-live') !== 'on' || !window.EventSource) return;
  const badge = document.getElementById('live-badge');
  const seen = new Set(Array.from(rows.querySelectorAll('[data-ticket]'), (row) => row.getAttribute('data-ticket')));
  let fresh = 0;
  let pending = false;
  const refresh = async () => {
    if (pending) return;
    pending = true;
    try {
      const response = await fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), 'text/html');
      const next = page.getElementById('queue-rows');
      if (!next) return;
      rows.replaceChildren(...Array.from(next.childNodes, (node) => document.importNode(node, true)));
      for (const row of rows.querySelectorAll('[data-ticket]')) {
        const id = row.getAttribute('data-ticket');
        if (seen.has(id)) continue;
        seen.add(id);
        row.classList.add('row--new');
        fresh += 1;
      }
      for (const selector of ['.tabs', '.filters']) {
        const current = document.querySelector(selector);
        const updated = page.querySelector(selector);
        if (current && updated) current.replaceWith(document.importNode(updated, true));
      }
      if (badge && fresh > 0) {
        badge.textContent = badge.getAttribute('data-template') ? badge.getAttribute('data-template').replace('N', String(fresh)) : `+${fresh}`;
        badge.hidden = false;
      }
    } finally {
      pending = false;
    }
  };
  const events = new EventSource('/console/events');
  events.addEventListener('ticket', () => void refresh());
  // Marks the page as listening, so tests (and curious agents) can tell the stream is up.
  events.addEventListener('open', () => rows.setAttribute('data-stream', 'open'));
  events.addEventListener('error', () => rows.setAttribute('data-stream', 'reconnecting'));
})();
