// Noticing that an HTTP client went away while its request is being served, so that its
// generation (or the prefill of its long prompt, during which nothing is written) is cancelled.
// cpp-httplib does not hand the handler its socket, so the socket is found by its address pair
// among this process's descriptors; a watcher thread then polls the registered sockets.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace cli {

// The descriptor of this process's TCP connection between local and remote (addresses as
// cpp-httplib reports them), or -1.
int find_connection_fd(const std::string &local_addr, int local_port, const std::string &remote_addr, int remote_port);

// True when the peer of connected socket `fd` has closed it (or it failed). Pipelined data
// waiting to be read does not count.
bool peer_closed(int fd);

class DisconnectWatcher {
public:
    DisconnectWatcher();
    ~DisconnectWatcher();
    DisconnectWatcher(const DisconnectWatcher &) = delete;
    DisconnectWatcher &operator=(const DisconnectWatcher &) = delete;

    // While registered, `on_gone` runs on the watcher thread at every poll (every 50 ms) that
    // finds the peer of `fd` gone: a cancel flag cleared by a call that starts right after the
    // first one is set again. Returns an id for unwatch(); fd < 0 is never polled.
    uint64_t watch(int fd, std::function<void()> on_gone);
    // After it returns, on_gone of `id` is not running and will not run again.
    void unwatch(uint64_t id);

private:
    void run();
    struct Entry {
        int fd;
        std::function<void()> on_gone;
    };
    std::mutex mu_;
    std::condition_variable wake_;
    std::map<uint64_t, Entry> entries_;
    uint64_t next_id_ = 1;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace cli
