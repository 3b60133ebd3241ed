// Build page (/builds/{id}), loaded only while the build is unfinished: follows the build's state over
// Server-Sent Events (GET /api/v1/builds/{id}/events) and, on each change, fires "build-changed" on
// the body, which makes htmx refetch the page and swap #build-live (its hx-trigger). The element also
// polls every 30 s, the fallback when EventSource is missing or its connection fails.
(() => {
  'use strict';
  const live = document.getElementById('build-live');
  const url = live && live.dataset.events;
  if (!url || typeof EventSource === 'undefined') {
    return;
  }

  const changed = () => document.body.dispatchEvent(new CustomEvent('build-changed'));

  // Opened once the page has loaded (htmx is listening by then, and the stream never holds up the load).
  function connect() {
    const source = new EventSource(url);
    source.addEventListener('changed', changed);
    source.addEventListener('end', () => {
      source.close();
      changed();
    });
  }

  if (document.readyState === 'complete') {
    connect();
  } else {
    window.addEventListener('load', connect, { once: true });
  }
})();
