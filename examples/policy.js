// The example hubs' policy: small limits, CORS, and
// - writes need `Authorization: Bearer <token>` when a token is configured (no header: 401, a
//   wrong token: 403); reading streams and listing channels is open;
// - listeners belong to the client that created them: only that client may listen to one or
//   remove it. The client is named by `?client=<id>` here (something EventSource can send); a
//   real application would take it from its session cookie or token.
export function examplePolicy(token) {
  return {
    limits: { maxBodyBytes: 64 * 1024, maxChannels: 100, maxListenersPerChannel: 20 },
    cors: true,
    principal: (request) => (request ? new URL(request.url).searchParams.get("client") ?? undefined : undefined),
    authorize(request, { action, owner, principal }) {
      if ((action === "listen" || action === "removeListener") && owner !== undefined && owner !== principal) return 403;
      if (!token || action === "listen" || action === "watch" || action === "listChannels") return true;
      const given = request?.headers.get("authorization");
      if (!given) return 401;
      return given === `Bearer ${token}`;
    },
  };
}
