// Comfort on top of pages that work without it: nothing here is needed to use Campus Hub.
'use strict';

document.addEventListener('DOMContentLoaded', () => {
  // A page made to be printed (a transcript) offers the browser's print dialog.
  for (const button of document.querySelectorAll('button[data-print]')) {
    button.hidden = false;
    button.addEventListener('click', () => window.print());
  }

  // A form that came back with errors: take keyboard and screen-reader focus to the summary,
  // which links to each field.
  const summary = document.getElementById('error-summary');
  if (summary) summary.focus();

  // A form sent once is not sent twice by an impatient second click.
  for (const form of document.querySelectorAll('form[method="post"]')) {
    form.addEventListener('submit', () => {
      for (const button of form.querySelectorAll('button[type="submit"]')) {
        // After the browser has taken the click's value.
        setTimeout(() => { button.disabled = true; }, 0);
      }
    });
  }

  // A long form (a CSV import) shows that it is on its way until the answer arrives.
  for (const form of document.querySelectorAll('form[data-progress]')) {
    form.addEventListener('submit', () => {
      const progress = document.getElementById(form.dataset.progress);
      if (!progress) return;
      progress.hidden = false;
      const bar = progress.querySelector('progress');
      if (bar) bar.removeAttribute('value'); // indeterminate: the server checks every row
    });
  }

  for (const form of document.querySelectorAll('form[data-upload]')) uploadWithProgress(form);
  for (const countdown of document.querySelectorAll('.countdown[data-seconds-left]')) countDown(countdown);
  for (const form of document.querySelectorAll('form[data-autosave]')) saveAsYouGo(form);

  // Keyboard shortcuts a page offers on its links (`data-key`), such as j and k between
  // hand-ins; never while typing in a field.
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest('input, textarea, select, [contenteditable]')) return;
    const link = document.querySelector(`a[data-key="${CSS.escape(event.key)}"]`);
    if (link) link.click();
  });
  for (const list of document.querySelectorAll('ol[data-reorder]')) reorderByDragging(list);
  for (const source of document.querySelectorAll('textarea[data-preview]')) previewAsYouType(source);
  // A read-only address offers a button that copies it, and says so.
  for (const button of document.querySelectorAll('button[data-copy]')) {
    const field = document.getElementById(button.dataset.copy);
    const said = button.parentElement.querySelector('.copied');
    if (!field || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener('click', () => {
      navigator.clipboard.writeText(field.value).then(() => {
        if (said) said.textContent = button.dataset.copied;
      }).catch(() => field.select());
    });
  }
  const chat = document.getElementById('chat');
  if (chat) followConversation(chat);
  const newPosts = document.getElementById('new-posts');
  if (newPosts) announceNewPosts(newPosts);
  const searchBox = document.querySelector('input[data-suggest]');
  if (searchBox) suggestAsYouType(searchBox);
  const messagesLink = document.querySelector('a[data-unread-messages]');
  if (messagesLink) countNewMessages(messagesLink);
  const bell = document.querySelector('a.bell[data-live]');
  if (bell && 'WebSocket' in window) followLive(bell);
  const pushHere = document.querySelector('button[data-push-key]');
  if (pushHere && 'serviceWorker' in navigator && 'PushManager' in window) offerPush(pushHere);
});

// "Get notifications on this device": the push worker is registered, the browser subscribes
// with the server's key (asking the person's permission), and the subscription is sent to
// the API; the page then lists the device. Browsers without push never see the button.
function offerPush(button) {
  const said = document.querySelector('[data-push-said]');
  const key = Uint8Array.from(
    atob(button.dataset.pushKey.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  button.hidden = false;
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const registration = await navigator.serviceWorker.register('/push-worker.js');
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: key });
      const answer = await fetch('/api/v1/me/push-subscriptions', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': button.dataset.csrf },
        body: JSON.stringify(subscription),
      });
      if (!answer.ok) throw new Error(String(answer.status));
      said.textContent = button.dataset.saidOn;
      window.location.reload();
    } catch {
      said.textContent = button.dataset.saidFailed;
      button.disabled = false;
    }
  });
}

// The feed says when someone posted what its reader would see there: a link that loads it.
function announceNewPosts(place) {
  document.addEventListener('campus:frame', (event) => {
    if (!event.detail || event.detail.type !== 'post' || place.firstChild) return;
    const link = document.createElement('a');
    link.href = '/feed';
    link.textContent = place.dataset.text;
    place.className = 'notice';
    place.append(link);
  });
}

// The number beside "Messages" follows the live connection the bell opens: a new message
// from someone else, in a conversation this page does not show, adds one.
function countNewMessages(link) {
  const count = link.querySelector('#messages-unread');
  const number = count.querySelector('[data-number]');
  const chat = document.getElementById('chat');
  const shown = chat ? chat.dataset.conversation : null;
  document.addEventListener('campus:frame', (event) => {
    const frame = event.detail;
    if (frame.type !== 'message' || !frame.data) return;
    const message = frame.data;
    if (message.author_id === link.dataset.me || message.edited_at || message.deleted
      || message.hidden || message.conversation_id === shown) return;
    number.textContent = String((Number(number.textContent) || 0) + 1);
    count.hidden = false;
  });
}

// The bell follows the live connection: its count changes as notifications arrive, and each
// new one is said in the page's status region (a screen reader hears it) with a link to it.
// A dropped connection is opened again with growing pauses, asking for what it missed; a
// lapsed sign-in is renewed once, as pages renew it.
function followLive(bell) {
  const count = bell.querySelector('[data-unread]');
  const number = bell.querySelector('[data-unread-number]');
  const news = document.getElementById('live-news');
  let unread = Number(number.textContent) || 0;
  let newest = '';
  let lastSeen = '';
  let pause = 1000;
  let renewed = false;
  const show = () => {
    number.textContent = String(unread);
    count.hidden = unread <= 0;
  };
  const announce = (notification) => {
    if (!news) return;
    const link = document.createElement('a');
    link.href = notification.link;
    link.textContent = notification.text;
    news.replaceChildren(link);
    clearTimeout(news.clearing);
    news.clearing = setTimeout(() => news.replaceChildren(), 15000);
  };
  const renew = () => fetch('/api/v1/auth/session/refresh', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'x-csrf-token': bell.dataset.csrf },
  }).then((answer) => answer.ok);
  const connect = () => {
    const url = new URL(bell.dataset.live, window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (lastSeen) url.searchParams.set('after', lastSeen);
    const socket = new WebSocket(url);
    let opened = false;
    socket.addEventListener('open', () => { opened = true; });
    socket.addEventListener('message', (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      // Whatever else the page follows live (a conversation) hears every frame too.
      document.dispatchEvent(new CustomEvent('campus:frame', { detail: frame }));
      if (frame.type === 'ready') {
        unread = frame.data.unread;
        newest = frame.data.newest || '';
        pause = 1000;
        renewed = false;
        show();
        bell.dataset.connected = 'true';
      } else if (frame.type === 'notification') {
        const notification = frame.data;
        lastSeen = notification.id;
        // One that folded an earlier unread one into it (count above one) adds nothing.
        if (notification.id > newest && notification.count === 1 && !notification.read_at) {
          unread += 1;
          show();
        }
        if (notification.id > newest) announce(notification);
      } else if (frame.type === 'resync') {
        socket.close();
      }
    });
    socket.addEventListener('close', (event) => {
      delete bell.dataset.connected;
      // Refused at the door (the access cookie lapsed) or signed out: renew once.
      if ((event.code === 4401 || !opened) && !renewed) {
        renewed = true;
        renew().then((ok) => { if (ok) setTimeout(connect, 200); }).catch(() => {});
        return;
      }
      if (event.code === 4401) return;
      setTimeout(connect, pause);
      pause = Math.min(pause * 2, 30000);
    });
  };
  connect();
}

// Dragging a module or lesson to a new place posts the list's new order, as the Up and Down
// buttons (the keyboard's way) post one move.
function reorderByDragging(list) {
  const items = () => Array.from(list.children).filter((item) => item.dataset.id);
  let dragged = null;
  for (const item of items()) {
    item.draggable = true;
    item.addEventListener('dragstart', (event) => {
      if (event.target !== item) return;
      event.stopPropagation();
      dragged = item;
      item.classList.add('dragging');
      event.dataTransfer.effectAllowed = 'move';
    });
    item.addEventListener('dragover', (event) => {
      if (!dragged || dragged === item || dragged.parentElement !== list) return;
      event.preventDefault();
      event.stopPropagation();
      const box = item.getBoundingClientRect();
      const after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? item.nextSibling : item);
    });
    item.addEventListener('dragend', (event) => {
      if (dragged !== item) return;
      event.stopPropagation();
      item.classList.remove('dragging');
      dragged = null;
      const form = document.createElement('form');
      form.method = 'post';
      form.action = list.dataset.reorder;
      const fields = { csrf: list.dataset.csrf, order: items().map((i) => i.dataset.id).join(',') };
      if (list.dataset.module) fields.module = list.dataset.module;
      for (const [name, value] of Object.entries(fields)) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.appendChild(input);
      }
      document.body.appendChild(form);
      form.submit();
    });
  }
}

// The lesson preview follows the Markdown as it is typed (the Preview button does the same
// without JavaScript). The server renders and sanitizes it, exactly as students will see it.
function previewAsYouType(source) {
  const target = document.getElementById(source.dataset.preview);
  if (!target) return;
  let timer = null;
  let sent = 0;
  source.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++sent;
      try {
        const answer = await fetch('/api/v1/markdown/preview', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': source.dataset.csrf },
          body: JSON.stringify({ markdown: source.value }),
        });
        if (answer.ok && mine === sent) target.innerHTML = (await answer.json()).html;
      } catch (_) {
        // Offline for a moment: the Preview button still works.
      }
    }, 400);
  });
}

// A hand-in with a file: a file dropped on its field is taken as chosen, and the upload shows
// how far it has got. The form is sent as the browser would send it, and the page it leads to
// (or the form again, with its errors) replaces this one.
function uploadWithProgress(form) {
  const zone = form.querySelector('.dropzone');
  const input = zone && zone.querySelector('input[type="file"]');
  if (zone && input) {
    zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('dragging'); });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      zone.classList.remove('dragging');
      if (event.dataTransfer && event.dataTransfer.files.length) input.files = event.dataTransfer.files;
    });
  }
  form.addEventListener('submit', (event) => {
    if (!window.XMLHttpRequest || !window.FormData) return;
    event.preventDefault();
    const progress = document.getElementById(form.dataset.upload);
    const bar = progress && progress.querySelector('progress');
    if (progress) progress.hidden = false;
    const request = new XMLHttpRequest();
    request.open('POST', form.action);
    request.upload.addEventListener('progress', (step) => {
      if (bar && step.lengthComputable) bar.value = Math.round((step.loaded / step.total) * 100);
    });
    request.addEventListener('load', () => {
      if (request.responseURL && request.responseURL !== form.action) {
        window.location.assign(request.responseURL);
      } else {
        document.open();
        document.write(request.responseText);
        document.close();
      }
    });
    request.addEventListener('error', () => form.submit());
    request.send(new FormData(form));
  });
}

// A timed attempt counts down to the server's deadline (from the seconds the server said were
// left, so a wrong clock on this device does not matter), says so a minute before, and shows
// the closed attempt once time is up.
function countDown(element) {
  const ends = Date.now() + Number(element.dataset.secondsLeft) * 1000;
  const left = element.querySelector('.left');
  const alert = document.getElementById('countdown-alert');
  let warned = false;
  const tick = () => {
    const seconds = Math.max(0, Math.round((ends - Date.now()) / 1000));
    if (left) left.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
    if (seconds <= 60 && !warned) {
      warned = true;
      element.classList.add('warning');
      if (alert) alert.textContent = element.dataset.warning;
    }
    if (seconds === 0) {
      clearInterval(timer);
      if (alert) alert.textContent = element.dataset.over;
      // The server closes and marks the attempt at its deadline; show that.
      setTimeout(() => window.location.reload(), 3000);
    }
  };
  const timer = setInterval(tick, 1000);
  tick();
}

// Answers are saved as the student goes: a choice at once, typing after a pause. The Save
// button does the same without JavaScript.
function saveAsYouGo(form) {
  const state = form.querySelector('.autosave-state');
  let pending = null;
  const save = () => {
    if (state) state.textContent = form.dataset.saving;
    fetch(form.action, { method: 'POST', body: new URLSearchParams(new FormData(form)), credentials: 'same-origin' })
      .then((answer) => { if (state) state.textContent = answer.ok ? form.dataset.saved : ''; })
      .catch(() => { if (state) state.textContent = ''; });
  };
  const later = (wait) => { clearTimeout(pending); pending = setTimeout(save, wait); };
  form.addEventListener('change', () => later(300));
  form.addEventListener('input', (event) => {
    if (event.target.tagName === 'TEXTAREA' || event.target.type === 'text') later(1500);
  });
}

// A conversation follows the live connection: new, edited, deleted and moderated messages
// appear (or change) in place, a receipt says who has seen the newest message, "… is typing" shows
// for a few seconds, and members' "Online" badges follow them. What is written is sent through the API and the form stays on the page;
// a send the API refuses falls back to the form, whose page explains why. After a dropped
// connection the messages missed meanwhile are fetched.
function followConversation(chat) {
  const id = chat.dataset.conversation;
  const api = `/api/v1/conversations/${id}`;
  const list = document.getElementById('messages');
  const seen = document.getElementById('seen');
  const typing = document.getElementById('typing');
  const form = document.getElementById('send-message');
  const headers = { 'content-type': 'application/json', 'x-csrf-token': chat.dataset.csrf };
  const post = (path, body) => fetch(api + path, {
    method: 'POST', credentials: 'same-origin', headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const names = new Map();
  for (const member of document.querySelectorAll('.members [data-user]')) names.set(member.dataset.user, member.dataset.name);
  // Someone the caller converses with came or went: their "Online" badge follows.
  const showPresence = (presence) => {
    const member = document.querySelector(`.members [data-user="${CSS.escape(presence.user_id)}"]`);
    if (!member || presence.user_id === chat.dataset.me) return;
    if (!presence.online) { member.replaceChildren(member.dataset.name); return; }
    const online = document.createElement('span');
    online.className = 'badge ok';
    online.textContent = member.parentElement.dataset.online;
    member.replaceChildren(member.dataset.name, ' ', online);
  };
  const newest = () => { const last = list.lastElementChild; return last ? last.dataset.id : ''; };
  const readers = new Map();
  chat.scrollTop = chat.scrollHeight;

  // An instant as the server writes it on this page: the person's time zone, the page's shape
  // and month names.
  const wallClock = (instant) => {
    const parts = {};
    try {
      new Intl.DateTimeFormat('en-GB', {
        timeZone: chat.dataset.timeZone, year: 'numeric', month: 'numeric', day: 'numeric',
        hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
      }).formatToParts(new Date(instant)).forEach((part) => { parts[part.type] = part.value; });
    } catch {
      return instant;
    }
    return chat.dataset.dateTime
      .replace('__DAY__', String(Number(parts.day)))
      .replace('__MONTH__', chat.dataset.months.split('|')[Number(parts.month) - 1])
      .replace('__YEAR__', parts.year)
      .replace('__TIME__', `${parts.hour}:${parts.minute}`);
  };

  // What the server offers on a message it writes, from the page's templates: its author may
  // change it for a while, the others may report it; nothing on a removed one.
  const controls = (message) => {
    if (message.deleted || message.hidden) return null;
    const mine = message.author_id === chat.dataset.me;
    const age = Date.now() - Date.parse(message.created_at);
    if (mine && !(age < Number(chat.dataset.changeSeconds) * 1000)) return null;
    const template = document.getElementById(mine ? 'change-template' : 'report-template');
    if (!template) return null;
    const copy = template.content.cloneNode(true);
    for (const element of copy.querySelectorAll('[action], [id], [for]')) {
      for (const name of ['action', 'id', 'for']) {
        const value = element.getAttribute(name);
        if (value && value.includes('__ID__')) element.setAttribute(name, value.replace('__ID__', message.id));
      }
    }
    const text = copy.querySelector('textarea');
    if (text) text.textContent = message.body || '';
    return copy;
  };

  const show = (message) => {
    const item = document.createElement('li');
    item.className = message.author_id === chat.dataset.me ? 'message mine' : 'message';
    item.id = `m-${message.id}`;
    item.dataset.id = message.id;
    const meta = document.createElement('p');
    meta.className = 'meta';
    const author = document.createElement('span');
    author.className = 'author';
    author.textContent = message.author_name || '';
    const time = document.createElement('time');
    time.dateTime = message.created_at;
    time.textContent = wallClock(message.created_at);
    meta.append(author, ' ', time);
    if (message.edited_at && !message.deleted && !message.hidden) {
      const edited = document.createElement('span');
      edited.className = 'muted';
      edited.textContent = chat.dataset.edited;
      meta.append(' ', edited);
    }
    let body;
    if (message.deleted || message.hidden) {
      body = document.createElement('p');
      body.className = 'body deleted';
      body.textContent = message.hidden ? chat.dataset.hidden : chat.dataset.deleted;
    } else {
      body = document.createElement('div');
      body.className = 'body';
      // Rendered from Markdown and sanitized by the server.
      body.innerHTML = message.body_html;
    }
    item.append(meta, body);
    if (message.file) {
      const file = document.createElement('p');
      file.className = 'file';
      if (message.file.content_type.startsWith('image/')) {
        const picture = document.createElement('img');
        picture.src = message.file.url;
        picture.alt = message.file.name;
        picture.loading = 'lazy';
        file.append(picture, ' ');
      }
      const link = document.createElement('a');
      link.href = message.file.url;
      link.download = '';
      link.textContent = message.file.name;
      const size = document.createElement('span');
      size.className = 'muted';
      size.textContent = chat.dataset.fileSize.replace('__KB__', String(Math.max(1, Math.ceil(message.file.size / 1024))));
      file.append(link, ' ', size);
      item.append(file);
    }
    const actions = controls(message);
    if (actions) item.append(actions);
    const shown = document.getElementById(item.id);
    if (shown) {
      shown.replaceWith(item);
      return;
    }
    const empty = document.getElementById('chat-empty');
    if (empty) empty.remove();
    // In id order: a message that arrives late goes where it belongs.
    const later = [...list.children].find((other) => other.dataset.id > message.id);
    list.insertBefore(item, later || null);
    if (!later) chat.scrollTop = chat.scrollHeight;
    readers.clear();
    showSeen();
    if (message.author_id !== chat.dataset.me) readSoon();
  };

  const showSeen = () => {
    const who = [...readers.entries()].filter(([, last]) => last >= newest()).map(([user]) => names.get(user)).filter(Boolean);
    seen.textContent = who.length ? chat.dataset.seen.replace('__NAMES__', who.join(', ')) : '';
  };

  let reading = null;
  const readSoon = () => {
    if (document.visibilityState !== 'visible') return;
    clearTimeout(reading);
    reading = setTimeout(() => { const last = newest(); if (last) post('/read', { message_id: last }).catch(() => {}); }, 500);
  };
  document.addEventListener('visibilitychange', readSoon);

  let quiet = null;
  const catchUp = () => {
    const after = newest();
    if (!after) return;
    fetch(`${api}/messages?after=${encodeURIComponent(after)}&limit=200`, { credentials: 'same-origin' })
      .then((answer) => (answer.ok ? answer.json() : { items: [] }))
      .then((page) => page.items.forEach(show))
      .catch(() => {});
  };

  let connectedBefore = false;
  document.addEventListener('campus:frame', (event) => {
    const frame = event.detail;
    if (frame.type === 'ready') {
      if (connectedBefore) catchUp();
      connectedBefore = true;
      chat.dataset.connected = 'true';
      return;
    }
    if (frame.type === 'presence' && frame.data) { showPresence(frame.data); return; }
    if (!frame.data || frame.data.conversation_id !== id) return;
    if (frame.type === 'message') {
      show(frame.data);
      if (frame.data.author_id !== chat.dataset.me) typing.textContent = '';
    } else if (frame.type === 'receipt') {
      readers.set(frame.data.user_id, frame.data.last_read_id);
      showSeen();
    } else if (frame.type === 'typing') {
      typing.textContent = chat.dataset.typing.replace('__NAME__', frame.data.name);
      clearTimeout(quiet);
      quiet = setTimeout(() => { typing.textContent = ''; }, 5000);
    }
  });

  if (!form) return;
  const field = form.querySelector('textarea');
  let toldAt = 0;
  field.addEventListener('input', () => {
    if (Date.now() - toldAt < 3000 || !field.value.trim()) return;
    toldAt = Date.now();
    post('/typing').catch(() => {});
  });
  // Enter sends; Shift+Enter starts a new line.
  field.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', (event) => {
    if (!field.value.trim()) { event.preventDefault(); return; }
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    post('/messages', { body: field.value })
      .then((answer) => {
        if (answer.status !== 201) { form.submit(); return; }
        return answer.json().then((message) => {
          show(message);
          field.value = '';
          toldAt = 0;
        });
      })
      .catch(() => form.submit())
      .finally(() => { button.disabled = false; field.focus(); });
  });
}


// The search box in the header offers titles and names as they are typed: an ARIA 1.2
// combobox whose list the arrow keys move through, Enter opens the chosen suggestion (or
// searches, with none chosen) and Escape closes; the number of suggestions is announced.
function suggestAsYouType(input) {
  const list = document.getElementById(input.getAttribute('aria-controls'));
  const status = document.getElementById('site-search-status');
  if (!list) return;
  let timer = null;
  let asked = 0;
  let active = -1;
  const options = () => Array.from(list.querySelectorAll('[role="option"]'));
  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const choose = (index) => {
    const all = options();
    if (all.length === 0) return;
    active = (index + all.length) % all.length;
    all.forEach((option, i) => option.setAttribute('aria-selected', String(i === active)));
    input.setAttribute('aria-activedescendant', all[active].id);
    all[active].scrollIntoView({ block: 'nearest' });
  };
  const show = (items) => {
    list.replaceChildren();
    items.forEach((item, i) => {
      const option = document.createElement('li');
      option.id = `site-search-option-${i}`;
      option.setAttribute('role', 'option');
      option.setAttribute('aria-selected', 'false');
      option.dataset.link = item.link;
      option.textContent = item.title;
      const kind = document.createElement('span');
      kind.className = 'kind';
      const label = input.dataset[`kind${item.kind.charAt(0).toUpperCase()}${item.kind.slice(1)}`];
      kind.textContent = ` · ${label || item.kind}`;
      option.appendChild(kind);
      option.addEventListener('mousedown', (event) => event.preventDefault());
      option.addEventListener('click', () => { window.location.href = item.link; });
      list.appendChild(option);
    });
    active = -1;
    input.removeAttribute('aria-activedescendant');
    if (items.length === 0) {
      close();
    } else {
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
    }
    if (status) {
      status.textContent = items.length === 0 ? input.dataset.countNone
        : items.length === 1 ? input.dataset.countOne
        : `${items.length} ${input.dataset.countMany}`;
    }
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const words = input.value.trim();
    if (words.length < 2) { close(); return; }
    timer = setTimeout(async () => {
      const mine = ++asked;
      try {
        const answer = await fetch(`${input.dataset.suggest}?q=${encodeURIComponent(words)}`, { credentials: 'same-origin' });
        if (answer.ok && mine === asked) show((await answer.json()).items);
      } catch (_) {
        // Offline for a moment: the search button still works.
      }
    }, 120);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      if (list.hidden) { if (options().length > 0) { list.hidden = false; input.setAttribute('aria-expanded', 'true'); } }
      choose(active + 1);
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      choose(active - 1);
    } else if (event.key === 'Escape') {
      close();
    } else if (event.key === 'Enter' && active >= 0 && !list.hidden) {
      event.preventDefault();
      window.location.href = options()[active].dataset.link;
    }
  });
  input.addEventListener('blur', close);
}
