// Campus Hub's push worker: shows each push as a notification (a newer one about the same
// thing replaces it, by its tag) and opens its page when the notification is clicked.
self.addEventListener('push', (event) => {
  let message = {};
  try { message = event.data ? event.data.json() : {}; } catch { message = {}; }
  event.waitUntil(self.registration.showNotification(message.title || 'Campus Hub', {
    body: message.body || '',
    tag: message.tag,
    renotify: Boolean(message.tag),
    data: { url: message.url || '/notifications' },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(event.notification.data.url, self.location.origin);
  // Only this site's pages open from a notification.
  const target = url.origin === self.location.origin ? url.href : self.location.origin + '/notifications';
  event.waitUntil(self.clients.openWindow(target));
});
