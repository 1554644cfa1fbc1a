// Preloaded into the http-cache-tests origin server: its `listen(port)` has no host, so it
// would listen on every interface. This inserts 127.0.0.1 so the server stays on loopback.
const net = require('net')
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const portOnly = typeof args[0] === 'number' || typeof args[0] === 'string'
  if (portOnly && (args.length === 1 || typeof args[1] === 'function')) {
    args.splice(1, 0, '127.0.0.1')
  }
  return listen.apply(this, args)
}
