// Web chat client. Every visible sentence comes from the page (data attributes) or the server.
// The visitor is known by an HttpOnly cookie the server set with the page: nothing here names them.
(() => {
  'use strict';
  const root = document.getElementById('chat');
  const log = document.getElementById('log');
  const form = document.getElementById('form');
  const textInput = document.getElementById('text');
  const sendButton = document.getElementById('send');
  const imageInput = document.getElementById('image');
  const imageButton = document.getElementById('image-button');
  const typing = document.getElementById('typing');
  const words = root.dataset;
  const linkHosts = (words.linkHosts || '').split(/\s+/).filter(Boolean);
  const photoTargetBytes = (Number(words.photoTargetKb) || 300) * 1024;
  const POLL_MS = 5000;

  /** Sequence numbers already on screen, so a reply that arrives twice is shown once. */
  const shown = new Set();
  let lastAgentSeq = 0;
  let busy = false;

  const chinaTime = new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  /** Links are clickable only when they lead to us or to the 学信网 site. */
  function isOwnLink(href) {
    let url;
    try {
      url = new URL(href);
    } catch {
      return false;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
    return linkHosts.some((host) => url.host === host || url.hostname === host || url.hostname.endsWith(`.${host}`));
  }

  const URL_PATTERN = /https?:\/\/[^\s<>"'，。；！？、（）【】“”]+/g;

  function appendText(parent, text) {
    let from = 0;
    for (const match of text.matchAll(URL_PATTERN)) {
      const href = match[0].replace(/[.,;:!?)\]]+$/, '');
      parent.append(text.slice(from, match.index));
      if (isOwnLink(href)) {
        const link = document.createElement('a');
        link.href = href;
        link.textContent = href;
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        parent.append(link);
      } else {
        parent.append(href);
      }
      from = match.index + href.length;
    }
    parent.append(text.slice(from));
  }

  function bubble(kind, at) {
    const div = document.createElement('div');
    div.className = `msg msg--${kind}`;
    if (kind === 'agent') {
      const who = document.createElement('div');
      who.className = 'msg__who';
      who.textContent = words.agentLabel;
      div.appendChild(who);
    }
    if (at) setTime(div, at);
    log.appendChild(div);
    return div;
  }

  function setTime(div, at) {
    let time = div.querySelector(':scope > time');
    if (!time) {
      time = document.createElement('time');
      time.className = 'msg__time';
      div.appendChild(time);
    }
    time.dateTime = at;
    time.textContent = chinaTime.format(new Date(at));
  }

  function addParagraph(div, text) {
    const p = document.createElement('p');
    appendText(p, text);
    div.insertBefore(p, div.querySelector(':scope > time'));
    return p;
  }

  function addImage(div, src) {
    const img = document.createElement('img');
    img.src = src;
    img.alt = '';
    div.insertBefore(img, div.querySelector(':scope > time'));
  }

  function addChoices(div, choices) {
    const box = document.createElement('div');
    box.className = 'choices';
    for (const choice of choices) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = choice.label;
      if (choice.id) button.dataset.choiceId = choice.id;
      // The id names the menu this button belongs to, so an old button is never read as an option of a newer menu.
      button.addEventListener('click', () => {
        send(choice.id ? { choiceId: choice.id, text: choice.label } : { text: String(choice.number) }, { text: choice.label });
      });
      box.appendChild(button);
    }
    div.insertBefore(box, div.querySelector(':scope > time'));
  }

  /** One stored entry: the user's message, the assistant's answer with its choices, or an agent's message. */
  function renderEntry(entry) {
    if (shown.has(entry.seq)) return;
    shown.add(entry.seq);
    if (entry.from === 'agent') lastAgentSeq = Math.max(lastAgentSeq, entry.seq);
    const div = bubble(entry.from === 'assistant' ? 'bot' : entry.from, entry.at);
    for (const reply of entry.replies) {
      if (reply.type === 'text') addParagraph(div, reply.text);
      else if (reply.type === 'image') addImage(div, reply.url);
    }
    if (entry.choices && entry.choices.length) addChoices(div, entry.choices);
  }

  function notice(text) {
    addParagraph(bubble('error'), text);
    scrollToEnd();
  }

  function setBusy(on, label) {
    busy = on;
    sendButton.disabled = on;
    imageButton.disabled = on;
    typing.textContent = label || words.typing;
    typing.hidden = !on;
    log.setAttribute('aria-busy', String(on));
  }

  /** A message that did not go through stays on screen, marked, with a button to send it again. */
  function markFailed(echo, message, payload, shownAs) {
    echo.classList.add('msg--failed');
    const failure = document.createElement('div');
    failure.className = 'msg__failure';
    const why = document.createElement('span');
    why.textContent = message;
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'msg__retry';
    retry.textContent = words.retry;
    retry.addEventListener('click', () => {
      if (busy) return;
      echo.remove();
      send(payload, shownAs);
    });
    failure.append(why, retry);
    echo.appendChild(failure);
    scrollToEnd();
  }

  /** Sends one message; `shownAs` is how the user's own bubble shows it (text, or an image preview). */
  async function send(payload, shownAs) {
    if (busy) return;
    setBusy(true);
    const echo = bubble('user', new Date().toISOString());
    if (shownAs.text) addParagraph(echo, shownAs.text);
    if (shownAs.image) addImage(echo, shownAs.image);
    scrollToEnd();
    try {
      const response = await fetch('/chat/messages', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(payload),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok || !Array.isArray(body.entries)) {
        markFailed(echo, body.error || words.error, payload, shownAs);
        return;
      }
      const [mine, ...answers] = body.entries;
      if (mine) {
        shown.add(mine.seq);
        setTime(echo, mine.at);
      }
      answers.forEach(renderEntry);
      // Only now, with the answer and its choice buttons laid out, is the end of the log known.
      scrollToEnd();
    } catch {
      markFailed(echo, words.error, payload, shownAs);
    } finally {
      setBusy(false);
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = textInput.value.trim();
    if (!text || busy) return;
    textInput.value = '';
    send({ text }, { text });
  });

  imageButton.addEventListener('click', () => imageInput.click());

  function readAsDataUrl(blob) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  }

  /** Photos are shrunk here toward the limit (ID photos may be at most 300 KB) before they are sent. */
  async function compress(file) {
    if (file.size <= photoTargetBytes) return file;
    if (typeof window.imageCompression !== 'function') throw new Error('compressor missing');
    setBusy(true, words.compressing);
    try {
      return await window.imageCompression(file, {
        maxSizeMB: photoTargetBytes / 1024 / 1024,
        maxWidthOrHeight: 2048,
        // A worker would load the library from a CDN; the page's policy allows our own scripts only.
        useWebWorker: false,
        // Canvases cannot write GIF, and JPEG is what shrinks a photo most.
        fileType: 'image/jpeg',
        initialQuality: 0.85,
      });
    } finally {
      setBusy(false);
    }
  }

  imageInput.addEventListener('change', async () => {
    const file = imageInput.files && imageInput.files[0];
    imageInput.value = '';
    if (!file || busy) return;
    if (!/^image\/(png|jpeg|gif)$/.test(file.type)) return notice(words.notImage);
    let image;
    try {
      image = await compress(file);
    } catch {
      return notice(words.compressError);
    }
    if (image.size > photoTargetBytes) {
      return notice(fill(words.compressTooLarge, { size: Math.ceil(image.size / 1024), limit: photoTargetBytes / 1024 }));
    }
    const dataUrl = await readAsDataUrl(image);
    const name = image === file ? file.name : `${file.name.replace(/\.\w+$/, '')}.jpg`;
    send(
      { image: { name, type: image.type || file.type, data: dataUrl.split(',')[1] || '' } },
      { text: `${words.imageLabel} ${file.name}`, image: dataUrl },
    );
  });

  function onAgentMessage(entry) {
    if (entry.from !== 'agent') return;
    renderEntry(entry);
    scrollToEnd();
  }

  function poll() {
    setInterval(async () => {
      try {
        const response = await fetch(`/chat/updates?after=${lastAgentSeq}`, { credentials: 'same-origin' });
        if (response.ok) (await response.json()).entries.forEach(onAgentMessage);
      } catch {
        // Offline for now; the next round tries again.
      }
    }, POLL_MS);
  }

  /** Agent replies arrive over server-sent events; polling takes over when a stream cannot be held. */
  function listen() {
    if (!window.EventSource) return poll();
    const stream = new EventSource(`/chat/events?after=${lastAgentSeq}`);
    stream.onmessage = (event) => onAgentMessage(JSON.parse(event.data));
    stream.onerror = () => {
      if (stream.readyState === EventSource.CLOSED) poll();
    };
  }

  async function restoreHistory() {
    try {
      const response = await fetch('/chat/history', { credentials: 'same-origin' });
      if (!response.ok) throw new Error(String(response.status));
      (await response.json()).entries.forEach(renderEntry);
      scrollToEnd();
    } catch {
      notice(words.historyError);
    }
  }

  restoreHistory().then(listen);
})();
