// Web chat client. All visible wording comes from the page (data attributes and server replies).
(() => {
  'use strict';
  const root = document.getElementById('chat');
  const log = document.getElementById('log');
  const form = document.getElementById('form');
  const textInput = document.getElementById('text');
  const imageInput = document.getElementById('image');
  const words = root.dataset;
  const MAX_IMAGE = 5 * 1024 * 1024;

  const userId = (() => {
    const key = 'chsi-help-user';
    let id = localStorage.getItem(key);
    if (!id) {
      id = crypto.randomUUID();
      localStorage.setItem(key, id);
    }
    return id;
  })();
  let lastPush = Number(localStorage.getItem('chsi-help-push') || 0);

  function bubble(kind, text) {
    const div = document.createElement('div');
    div.className = `msg msg--${kind}`;
    if (kind === 'agent') {
      const who = document.createElement('div');
      who.className = 'msg__who';
      who.textContent = words.agentLabel;
      div.appendChild(who);
    }
    const p = document.createElement('p');
    p.textContent = text;
    div.appendChild(p);
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function showReplies(replies, kind, choices) {
    let last;
    for (const reply of replies) {
      if (reply.type === 'text') last = bubble(kind, reply.text);
      else if (reply.type === 'image') {
        last = bubble(kind, '');
        const img = document.createElement('img');
        img.src = reply.url;
        img.alt = '';
        last.appendChild(img);
      }
    }
    if (last && choices && choices.length) {
      const box = document.createElement('div');
      box.className = 'choices';
      for (const choice of choices) {
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = `${choice.number}. ${choice.label}`;
        button.addEventListener('click', () => send({ text: String(choice.number) }, `${choice.number}. ${choice.label}`));
        box.appendChild(button);
      }
      last.appendChild(box);
    }
  }

  async function send(payload, echo) {
    if (echo) bubble('user', echo);
    try {
      const response = await fetch('/api/chat', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ userId, ...payload }),
      });
      const body = await response.json();
      if (!response.ok) return bubble('error', body.error || words.error);
      showReplies(body.replies, 'bot', body.choices);
    } catch {
      bubble('error', words.error);
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = textInput.value.trim();
    if (!text) return;
    textInput.value = '';
    send({ text }, text);
  });

  imageInput.addEventListener('change', () => {
    const file = imageInput.files && imageInput.files[0];
    imageInput.value = '';
    if (!file) return;
    if (file.size > MAX_IMAGE) return bubble('error', words.imageTooLarge);
    const reader = new FileReader();
    reader.onload = () => {
      const data = String(reader.result).split(',')[1] || '';
      const echo = bubble('user', words.imageLabel + file.name);
      const img = document.createElement('img');
      img.src = String(reader.result);
      img.alt = '';
      echo.appendChild(img);
      send({ image: { name: file.name, type: file.type, data } });
    };
    reader.readAsDataURL(file);
  });

  function onPush(message) {
    if (message.seq <= lastPush) return;
    lastPush = message.seq;
    localStorage.setItem('chsi-help-push', String(lastPush));
    showReplies(message.replies, 'agent');
  }

  if (window.EventSource) {
    const stream = new EventSource(`/api/chat/stream?userId=${encodeURIComponent(userId)}&after=${lastPush}`);
    stream.onmessage = (event) => onPush(JSON.parse(event.data));
  } else {
    setInterval(async () => {
      const response = await fetch(`/api/chat/messages?userId=${encodeURIComponent(userId)}&after=${lastPush}`);
      if (response.ok) (await response.json()).messages.forEach(onPush);
    }, 5000);
  }
})();
