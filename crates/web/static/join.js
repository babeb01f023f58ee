// The invitation link carries its code after '#', which browsers never send: copy it into
// the form, and take it out of the address bar. Without JavaScript the member pastes it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var field = document.getElementById("invitation");
  var code = window.location.hash.slice(1);
  if (field && code && !field.value) {
    field.value = decodeURIComponent(code);
    history.replaceState(null, "", window.location.pathname);
  }
});
