// fleetlb's raw link-layer socket for the speaker: AF_PACKET, which raw-socket cannot open.
// (It also opens BGP's TCP sockets with options node:net lacks: tcpSocket.)
// It only moves bytes: frames are built and parsed in TypeScript (speaker/layer2/*.ts).
// Non-blocking, with a libuv poll for readability, so closing is immediate and no thread blocks.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define CHECK(env, call)                                                \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error((env), NULL, "N-API call failed: " #call);       \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, message, error;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  char c[32];
  snprintf(c, sizeof c, "E%d", err);
  napi_create_string_utf8(env, c, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, message, &error);
  napi_value errnoValue;
  napi_create_int32(env, err, &errnoValue);
  napi_set_named_property(env, error, "errno", errnoValue);
  napi_throw(env, error);
  return NULL;
}

static int get_int(napi_env env, napi_value v, int32_t *out) { return napi_get_value_int32(env, v, out) == napi_ok; }

// open(ifname: string, ethertype: number) -> { fd, ifindex, mac: Buffer(6) }
static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char ifname[IFNAMSIZ] = {0};
  size_t len = 0;
  int32_t ethertype = 0;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], ifname, sizeof ifname, &len) != napi_ok || !get_int(env, argv[1], &ethertype)) {
    napi_throw_type_error(env, NULL, "open(ifname: string, ethertype: number)");
    return NULL;
  }
  unsigned int ifindex = if_nametoindex(ifname);
  if (ifindex == 0) return throw_errno(env, "if_nametoindex", errno);
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons((uint16_t)ethertype));
  if (fd < 0) return throw_errno(env, "socket(AF_PACKET)", errno);
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons((uint16_t)ethertype);
  sll.sll_ifindex = (int)ifindex;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "bind(AF_PACKET)", e);
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, ifname, len < IFNAMSIZ ? len : IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "ioctl(SIOCGIFHWADDR)", e);
  }
  napi_value result, vfd, vindex, vmac;
  void *macData;
  CHECK(env, napi_create_object(env, &result));
  CHECK(env, napi_create_int32(env, fd, &vfd));
  CHECK(env, napi_create_uint32(env, ifindex, &vindex));
  CHECK(env, napi_create_buffer_copy(env, 6, ifr.ifr_hwaddr.sa_data, &macData, &vmac));
  CHECK(env, napi_set_named_property(env, result, "fd", vfd));
  CHECK(env, napi_set_named_property(env, result, "ifindex", vindex));
  CHECK(env, napi_set_named_property(env, result, "mac", vmac));
  return result;
}

// Parses (fd: number, buffer: Buffer); throws a TypeError naming `usage` and returns 0 if it cannot.
static int fd_and_buffer(napi_env env, napi_callback_info info, const char *usage, int32_t *fd, void **data, size_t *len) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || !get_int(env, argv[0], fd) ||
      napi_get_buffer_info(env, argv[1], data, len) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return 1;
}

// send(fd, frame: Buffer) -> bytes sent
static napi_value Send(napi_env env, napi_callback_info info) {
  int32_t fd;
  void *data;
  size_t len;
  if (!fd_and_buffer(env, info, "send(fd: number, frame: Buffer)", &fd, &data, &len)) return NULL;
  ssize_t n = send(fd, data, len, MSG_DONTWAIT);
  if (n < 0) return throw_errno(env, "send", errno);
  napi_value out;
  CHECK(env, napi_create_int64(env, n, &out));
  return out;
}

// recv(fd, into: Buffer) -> bytes read, or -1 when nothing is waiting
static napi_value Recv(napi_env env, napi_callback_info info) {
  int32_t fd;
  void *data;
  size_t len;
  if (!fd_and_buffer(env, info, "recv(fd: number, into: Buffer)", &fd, &data, &len)) return NULL;
  ssize_t n = recv(fd, data, len, MSG_DONTWAIT);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return throw_errno(env, "recv", errno);
  napi_value out;
  CHECK(env, napi_create_int64(env, n < 0 ? -1 : n, &out));
  return out;
}

// A readability watch: calls back (on the JS thread) whenever the fd has frames waiting.
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  int closing;
} watch_t;

static void on_closed(uv_handle_t *h) {
  watch_t *w = (watch_t *)h->data;
  napi_delete_reference(w->env, w->callback);
  free(w);
}

static void on_readable(uv_poll_t *p, int status, int events) {
  (void)events;
  watch_t *w = (watch_t *)p->data;
  if (w->closing) return;
  napi_handle_scope scope;
  napi_open_handle_scope(w->env, &scope);
  napi_value cb, global, arg;
  napi_get_reference_value(w->env, w->callback, &cb);
  napi_get_global(w->env, &global);
  napi_create_int32(w->env, status, &arg);
  napi_value result;
  if (napi_call_function(w->env, global, cb, 1, &arg, &result) != napi_ok) {
    // An exception in the JS callback must not vanish; rethrow it as uncaught.
    bool pending = false;
    napi_is_exception_pending(w->env, &pending);
    if (pending) {
      napi_value exc;
      napi_get_and_clear_last_exception(w->env, &exc);
      napi_fatal_exception(w->env, exc);
    }
  }
  napi_close_handle_scope(w->env, scope);
}

static void finalize_watch(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  (void)hint;
}

// watch(fd, onReadable: (status) => void) -> handle; unwatch(handle)
static napi_value Watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 2 || !get_int(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "watch(fd: number, onReadable: Function)");
    return NULL;
  }
  uv_loop_t *loop;
  CHECK(env, napi_get_uv_event_loop(env, &loop));
  watch_t *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, "calloc", ENOMEM);
  w->env = env;
  CHECK(env, napi_create_reference(env, argv[1], 1, &w->callback));
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc != 0) {
    napi_delete_reference(env, w->callback);
    free(w);
    napi_throw_error(env, NULL, uv_strerror(rc));
    return NULL;
  }
  w->poll.data = w;
  uv_poll_start(&w->poll, UV_READABLE, on_readable);
  napi_value handle;
  CHECK(env, napi_create_external(env, w, finalize_watch, NULL, &handle));
  return handle;
}

static napi_value Unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  watch_t *w;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&w) != napi_ok || !w) {
    napi_throw_type_error(env, NULL, "unwatch(handle)");
    return NULL;
  }
  if (!w->closing) {
    w->closing = 1;
    uv_poll_stop(&w->poll);
    uv_close((uv_handle_t *)&w->poll, on_closed);
  }
  return NULL;
}

static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 1 || !get_int(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "close(fd: number)");
    return NULL;
  }
  if (close(fd) < 0) return throw_errno(env, "close", errno);
  return NULL;
}

// tcpSocket(family: 4 | 6, opts: { md5Peer?: string, md5Key?: string, ttl?: number, bind?: string })
//   -> fd of a non-blocking TCP socket, not yet connected, for net.Socket({ fd }).connect(): the
// TCP MD5 signature key (RFC 2385) and the TTL must be on the socket before the SYN leaves, and
// node:net cannot set either.
static int get_str(napi_env env, napi_value obj, const char *name, char *buf, size_t n) {
  bool has = false;
  napi_value v;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return -1;
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return 0;
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, n, &len) != napi_ok || len >= n - 1) return -1;
  return 1;
}

static int parse_sockaddr(int family, const char *s, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    *len = sizeof *a;
    return inet_pton(AF_INET, s, &a->sin_addr) == 1;
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
  a->sin6_family = AF_INET6;
  *len = sizeof *a;
  return inet_pton(AF_INET6, s, &a->sin6_addr) == 1;
}

static napi_value TcpSocket(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t family = 0;
  char peer[64] = {0}, key[TCP_MD5SIG_MAXKEYLEN + 2] = {0}, bindto[64] = {0};
  int32_t ttl = 0;
  int hasPeer = -1, hasKey = -1, hasBind = -1;
  if (argc >= 2 && get_int(env, argv[0], &family) && (family == 4 || family == 6)) {
    hasPeer = get_str(env, argv[1], "md5Peer", peer, sizeof peer);
    hasKey = get_str(env, argv[1], "md5Key", key, sizeof key);
    hasBind = get_str(env, argv[1], "bind", bindto, sizeof bindto);
    bool has = false;
    napi_value v;
    if (napi_has_named_property(env, argv[1], "ttl", &has) == napi_ok && has && napi_get_named_property(env, argv[1], "ttl", &v) == napi_ok) {
      napi_valuetype t;
      napi_typeof(env, v, &t);
      if (t != napi_undefined && (!get_int(env, v, &ttl) || ttl < 1 || ttl > 255)) hasPeer = -1;
    }
  }
  if (hasPeer < 0 || hasKey < 0 || hasBind < 0 || (hasKey == 1 && hasPeer != 1)) {
    napi_throw_type_error(env, NULL, "tcpSocket(family: 4 | 6, { md5Peer?: string, md5Key?: string (<= 80 octets), ttl?: 1..255, bind?: string })");
    return NULL;
  }
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket(SOCK_STREAM)", errno);
  const char *what = NULL;
  if (hasKey == 1) {
    struct tcp_md5sig sig;
    memset(&sig, 0, sizeof sig);
    socklen_t len;
    if (!parse_sockaddr(family, peer, &sig.tcpm_addr, &len)) {
      close(fd);
      napi_throw_type_error(env, NULL, "tcpSocket: md5Peer is not an address of the socket's family");
      return NULL;
    }
    sig.tcpm_keylen = (uint16_t)strlen(key);
    memcpy(sig.tcpm_key, key, sig.tcpm_keylen);
    if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof sig) < 0) what = "setsockopt(TCP_MD5SIG)";
  }
  if (!what && ttl > 0) {
    int t = ttl;
    if (family == 4 ? setsockopt(fd, IPPROTO_IP, IP_TTL, &t, sizeof t) < 0 : setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &t, sizeof t) < 0) what = "setsockopt(TTL)";
  }
  if (!what && hasBind == 1) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (!parse_sockaddr(family, bindto, &ss, &len)) {
      close(fd);
      napi_throw_type_error(env, NULL, "tcpSocket: bind is not an address of the socket's family");
      return NULL;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) what = "bind";
  }
  if (what) {
    int e = errno;
    close(fd);
    return throw_errno(env, what, e);
  }
  napi_value out;
  CHECK(env, napi_create_int32(env, fd, &out));
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, Open, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, Send, NULL, NULL, NULL, napi_default, NULL},
      {"recv", NULL, Recv, NULL, NULL, NULL, napi_default, NULL},
      {"watch", NULL, Watch, NULL, NULL, NULL, napi_default, NULL},
      {"unwatch", NULL, Unwatch, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
      {"tcpSocket", NULL, TcpSocket, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
