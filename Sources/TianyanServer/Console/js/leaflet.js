// Leaflet from the controller (Debian's libjs-leaflet, its minified ES module build), as the
// global the console's modules use. Imported first by app.js.
import * as Leaflet from '/vendor/leaflet/leaflet.esm.min.js';

window.L = Leaflet;
export default Leaflet;
