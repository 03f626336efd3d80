/* peakwatch SSE client: one EventSource per page; after a drop it reconnects in 3 s and resumes
 * from the last event id it saw; a "reset" from the server reloads the page. */

const TOPICS = ["activity", "alert", "run", "run_removed", "health"];
const RETRY_MS = 3000;

function parse(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return null;
  }
  return data && typeof data === "object" ? data : null;
}

/** Opens the stream at `url`. `onConnection(up)` hears every open (true) and error (false);
 * `onMessage(topic, data)` gets each message of a known topic whose data is a JSON object. */
export function connect(url, onConnection, onMessage) {
  let lastId = null;
  const source = new EventSource(url);
  source.addEventListener("open", function () {
    onConnection(true);
  });
  source.addEventListener("error", function () {
    onConnection(false);
    if (source.readyState === EventSource.CLOSED) {
      window.setTimeout(function () {
        const next = new URL(url, window.location.href);
        if (lastId) {
          next.searchParams.set("last_event_id", lastId);
        }
        connect(next.pathname + next.search, onConnection, onMessage);
      }, RETRY_MS);
    }
  });
  TOPICS.forEach(function (topic) {
    source.addEventListener(topic, function (message) {
      lastId = message.lastEventId || lastId;
      const data = parse(message.data);
      if (data) {
        onMessage(topic, data);
      }
    });
  });
  source.addEventListener("hello", function (message) {
    lastId = message.lastEventId || lastId;
  });
  source.addEventListener("reset", function () {
    source.close();
    window.location.reload();
  });
}
