// "Autour de moi": fills the search's hidden position fields from the browser's location and sends the form.
// No network call: the position goes only into the address of the search page.
(function () {
  "use strict";
  var button = document.getElementById("autour-de-moi");
  var state = document.getElementById("autour-de-moi-etat");
  if (!button || !navigator.geolocation) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    state.textContent = "Recherche de votre position…";
    navigator.geolocation.getCurrentPosition(function (position) {
      var form = button.form;
      form.elements.lat.value = position.coords.latitude.toFixed(4);
      form.elements.lon.value = position.coords.longitude.toFixed(4);
      form.elements.tri.value = "distance";
      form.submit();
    }, function () {
      state.textContent = "Votre position n'est pas disponible. Choisissez plutôt votre commune dans la liste.";
    }, { timeout: 10000, maximumAge: 600000 });
  });
})();
