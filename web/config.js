// Where the chat page finds the Rasa server (its socketio channel).
// server: "" means the page's own host on port 5005 (the default of `rasa run`);
// otherwise a full URL such as "https://bot.example.vn". path: Rasa's socketio_path.
// On a page served from localhost, ?server=http://127.0.0.1:5005 overrides this.
window.VSSID_CHAT = {
  server: "",
  path: "/socket.io",
};
