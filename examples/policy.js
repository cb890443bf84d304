// The example hubs' policy: small limits, CORS, and (when a token is configured) writes need
// `Authorization: Bearer <token>` — no header: 401, a wrong token: 403. Reading streams is open.
export function examplePolicy(token) {
  return {
    limits: { maxBodyBytes: 64 * 1024, maxChannels: 100, maxListenersPerChannel: 20 },
    cors: true,
    authorize(request, { action }) {
      if (!token || action === "listen" || action === "watch") return true;
      const given = request?.headers.get("authorization");
      if (!given) return 401;
      return given === `Bearer ${token}`;
    },
  };
}
