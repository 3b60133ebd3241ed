// Log viewer (/builds/{id}/tasks/{taskId}/logs/{name}): follows the live log over Server-Sent Events
// from the byte offset the server rendered up to, filters the shown lines as the search box is typed
// in, and keeps the view at the end while following. Log text only ever goes into text nodes.
(() => {
  'use strict';
  const log = document.getElementById('log');
  if (!log) {
    return;
  }

  const search = document.getElementById('log-search');
  const controls = document.getElementById('log-controls');
  const followButton = document.getElementById('log-follow');
  const liveState = document.getElementById('log-live');
  const status = document.getElementById('log-status');
  const stream = log.dataset.stream;
  let offset = Number(log.dataset.from || '0');
  let nextLine = log.dataset.nextLine ? Number(log.dataset.nextLine) : null;
  let following = true;
  let source = null;

  // ANSI SGR colours and bold, as AnsiText.cs renders them on the server.
  const ansiCsi = /\u001b\[([0-?]*)[ -/]*([@-~])/g;
  function ansiSpans(text) {
    const fragment = document.createDocumentFragment();
    let bold = false; let fg = null; let bg = null; let last = 0;
    const emit = (part) => {
      // eslint-disable-next-line no-control-regex
      part = part.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
      if (!part) {
        return;
      }
      const classes = [];
      if (bold) classes.push('ansi-bold');
      if (fg !== null) classes.push('ansi-fg-' + fg);
      if (bg !== null) classes.push('ansi-bg-' + bg);
      if (classes.length === 0) {
        fragment.appendChild(document.createTextNode(part));
      } else {
        const span = document.createElement('span');
        span.className = classes.join(' ');
        span.textContent = part;
        fragment.appendChild(span);
      }
    };
    for (const match of text.matchAll(ansiCsi)) {
      emit(text.slice(last, match.index));
      last = match.index + match[0].length;
      if (match[2] !== 'm') {
        continue;
      }
      const codes = match[1] === '' ? [0] : match[1].split(';').map((c) => Number(c) || 0);
      for (let k = 0; k < codes.length; k++) {
        const c = codes[k];
        if (c === 0) { bold = false; fg = null; bg = null; }
        else if (c === 1) bold = true;
        else if (c === 22) bold = false;
        else if (c >= 30 && c <= 37) fg = c - 30;
        else if (c === 39) fg = null;
        else if (c >= 40 && c <= 47) bg = c - 40;
        else if (c === 49) bg = null;
        else if (c >= 90 && c <= 97) fg = c - 90 + 8;
        else if (c >= 100 && c <= 107) bg = c - 100 + 8;
        else if (c === 38 || c === 48) k += codes[k + 1] === 5 ? 2 : 4;
      }
    }
    emit(text.slice(last));
    return fragment;
  }

  function matches(line) {
    const q = search ? search.value.trim().toLowerCase() : '';
    return q === '' || line.querySelector('.log-text').textContent.toLowerCase().includes(q);
  }

  function filter() {
    for (const line of log.querySelectorAll('.log-line')) {
      line.hidden = !matches(line);
    }
  }

  function scrollToEnd() {
    if (following) {
      log.scrollTop = log.scrollHeight;
    }
  }

  function append(text, start) {
    const anchor = nextLine !== null ? 'L' + (nextLine++) : 'B' + start;
    const line = document.createElement('div');
    line.className = 'log-line';
    line.id = anchor;
    const number = document.createElement('a');
    number.className = 'log-ln';
    number.href = location.pathname + location.search + '#' + anchor;
    number.textContent = anchor.slice(1);
    const body = document.createElement('span');
    body.className = 'log-text';
    body.appendChild(ansiSpans(text));
    line.append(number, body);
    line.hidden = !matches(line);
    log.appendChild(line);
  }

  function setFollowing(value) {
    following = value;
    followButton.setAttribute('aria-pressed', String(value));
    followButton.textContent = value ? 'Pause' : 'Follow';
    scrollToEnd();
  }

  function connect() {
    source = new EventSource(stream + '?from=' + offset);
    liveState.textContent = 'Following the live log…';
    source.onmessage = (event) => {
      const start = offset;
      offset = Number(event.lastEventId || offset);
      append(event.data, start);
      scrollToEnd();
    };
    source.addEventListener('end', (event) => {
      source.close();
      source = null;
      status.textContent = event.data;
      status.className = 'badge ' + ({ completed: 'text-bg-success', failed: 'text-bg-danger' }[event.data] || 'text-bg-secondary');
      liveState.textContent = 'The task ended: ' + event.data + '.';
      followButton.hidden = true;
    });
    source.onerror = () => {
      // Reconnect from the last offset ourselves: the URL's ?from= would win over Last-Event-ID.
      if (source) {
        source.close();
        liveState.textContent = 'Connection lost; reconnecting…';
        setTimeout(connect, 2000);
      }
    };
  }

  if (search) {
    search.addEventListener('input', filter);
  }

  if (stream) {
    controls.hidden = false;
    followButton.addEventListener('click', () => setFollowing(!following));
    scrollToEnd();
    connect();
  }
})();
