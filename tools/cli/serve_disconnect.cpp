#include "serve_disconnect.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace cli {

namespace {

// Address and port of a socket address, in the text form cpp-httplib uses.
bool address_of(const sockaddr_storage &ss, std::string &addr, int &port) {
    char buf[INET6_ADDRSTRLEN] = "";
    if (ss.ss_family == AF_INET) {
        const auto *in = reinterpret_cast<const sockaddr_in *>(&ss);
        inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
        port = ntohs(in->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        const auto *in6 = reinterpret_cast<const sockaddr_in6 *>(&ss);
        inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
        port = ntohs(in6->sin6_port);
    } else {
        return false;
    }
    addr = buf;
    return true;
}

bool endpoint_is(int fd, bool peer, const std::string &want_addr, int want_port) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr *>(&ss), &len)
                        : getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len);
    std::string addr;
    int port = -1;
    return rc == 0 && address_of(ss, addr, port) && port == want_port && addr == want_addr;
}

}  // namespace

int find_connection_fd(const std::string &local_addr, int local_port, const std::string &remote_addr, int remote_port) {
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) return -1;
    int found = -1;
    while (dirent *e = readdir(dir)) {
        char *end = nullptr;
        const long fd = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || fd == dirfd(dir)) continue;
        if (endpoint_is(static_cast<int>(fd), true, remote_addr, remote_port) &&
            endpoint_is(static_cast<int>(fd), false, local_addr, local_port)) {
            found = static_cast<int>(fd);
            break;
        }
    }
    closedir(dir);
    return found;
}

bool peer_closed(int fd) {
    if (fd < 0) return false;
    pollfd p{fd, static_cast<short>(POLLIN | POLLRDHUP), 0};
    if (poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) return true;
    if (p.revents & POLLIN) {
        char c;
        return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;  // 0: orderly shutdown
    }
    return false;
}

DisconnectWatcher::DisconnectWatcher() : thread_([this] { run(); }) {}

DisconnectWatcher::~DisconnectWatcher() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

uint64_t DisconnectWatcher::watch(int fd, std::function<void()> on_gone) {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t id = next_id_++;
    entries_[id] = Entry{fd, std::move(on_gone)};
    wake_.notify_all();
    return id;
}

void DisconnectWatcher::unwatch(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);  // run() calls on_gone under the lock
    entries_.erase(id);
}

void DisconnectWatcher::run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
        if (entries_.empty()) {
            wake_.wait(lock, [this] { return stop_ || !entries_.empty(); });
            continue;
        }
        for (auto &kv : entries_)
            if (peer_closed(kv.second.fd)) kv.second.on_gone();
        wake_.wait_for(lock, std::chrono::milliseconds(50), [this] { return stop_; });
    }
}

}  // namespace cli
