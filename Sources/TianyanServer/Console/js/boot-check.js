// A classic script: if the console's modules could not load (Leaflet missing on the controller,
// a file not served), say so instead of leaving a dead page.
window.addEventListener('load', () => {
  setTimeout(() => {
    if (window.tianyan) return;
    const p = document.getElementById('login-error');
    if (p) p.textContent = 'The console could not start: its scripts did not load. Is Leaflet installed on the controller (apt-get install libjs-leaflet)? See /api/v1/console.';
  }, 4000);
});
