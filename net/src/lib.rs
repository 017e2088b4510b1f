//! crest's sockets: TCP, UDP and Unix sockets on nonblocking file descriptors, driven by
//! crest's edge-triggered epoll driver. (Filled in by the networking issue.)
