// Logging in and out, the same way in both clients: the log-in form, the session a reload
// finds again, the log-out button, and the API's word that the session is gone (any 401).
// Each client says which roles it serves and what to show or stop when someone comes or goes.

import { ApiError, NetworkError, logIn, logOut, session } from "./api.js";
import { resetServerTime } from "./format.js";
import { t } from "./i18n.js";
import { problemMessage } from "./problems.js";

const $ = (id) => document.getElementById(id);

/**
 * Wire the page's log-in form (#login-form, #login-username, #login-password, #login-error)
 * and log-out button (#logout), then restore the session the browser still holds, if any.
 *
 * @param {object} client
 * @param {string[]} client.roles  who may use this client
 * @param {string} client.wrongRole  message key for someone of another role
 * @param {string[]} client.signedInParts  ids of the elements shown only while signed in
 * @param {(who: object) => void} client.onSignedIn  start the client for this user
 * @param {() => void} client.onSignedOut  stop what runs only while signed in
 * @param {() => Promise<void>} [client.beforeLogOut]  undo what the server keeps for this device
 * @param {() => void} [client.onLogInPressed]  a user gesture the client may need (audio)
 */
export async function mountSession(client) {
  const signedOut = () => showLogin(client);
  $("login-form").addEventListener("submit", (event) => onLogin(event, client));
  $("logout").addEventListener("click", async () => {
    await client.beforeLogOut?.();
    await logOut();
    signedOut();
  });
  window.addEventListener("unauthenticated", signedOut);
  let who = null;
  try {
    who = await session();
  } catch {
    who = null;
  }
  if (who && client.roles.includes(who.role)) signIn(client, who);
  else signedOut();
}

function signIn(client, who) {
  resetServerTime(who.now);
  $("login-view").hidden = true;
  for (const id of client.signedInParts) $(id).hidden = false;
  client.onSignedIn(who);
}

function showLogin(client) {
  client.onSignedOut();
  for (const id of client.signedInParts) $(id).hidden = true;
  $("login-view").hidden = false;
  $("login-username").focus();
}

async function onLogin(event, client) {
  event.preventDefault();
  client.onLogInPressed?.();
  const error = $("login-error");
  error.hidden = true;
  const button = event.submitter || event.target.querySelector("button[type=submit]");
  button.disabled = true;
  button.textContent = t("logging_in");
  try {
    await logIn($("login-username").value.trim(), $("login-password").value);
    const who = await session();
    if (!who || !client.roles.includes(who.role)) {
      await logOut();
      error.textContent = t(client.wrongRole);
      error.hidden = false;
      return;
    }
    $("login-password").value = "";
    signIn(client, who);
  } catch (failure) {
    error.textContent =
      failure instanceof NetworkError
        ? t("network_down")
        : failure instanceof ApiError && [401, 403].includes(failure.status)
          ? t("bad_login")
          : problemMessage(failure);
    error.hidden = false;
  } finally {
    button.disabled = false;
    button.textContent = t("log_in");
  }
}
