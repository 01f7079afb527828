// The chat as a bundled single-page app: the client comes from the package import, which a
// bundler resolves to the browser build (native WebSocket, no Node code).
import { WebPubSubClient } from "webpubsub-client";
// The same UI and styles as the <script>-tag example; esbuild bundles both.
import { mountChat } from "../../chat/public/chat-ui.js";
import "../../chat/public/chat.css";

mountChat({ WebPubSubClient, root: document.getElementById("app") });
