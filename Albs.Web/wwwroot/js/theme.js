// Follow the system's light/dark preference (Bootstrap 5.3 colour modes); no-JS visitors get light.
(() => {
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const apply = () => document.documentElement.setAttribute('data-bs-theme', media.matches ? 'dark' : 'light');
  apply();
  media.addEventListener('change', apply);
})();
