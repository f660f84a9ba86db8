// Shows Liveblog's pushes (key events, a story closing) as notifications; a click opens the story.
// A classic worker script, registered by static/follow.js.

// What it shows a person when a push carries no title (static/text.js holds the pages' sentences).
var TEXT = { title: "Liveblog" };

self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = { body: event.data.text() };
  }
  event.waitUntil(self.registration.showNotification(data.title || TEXT.title, {
    body: data.body || "",
    tag: data.tag,
    data: { url: data.url || "/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data.url));
});
