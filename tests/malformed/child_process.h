// Runs this test program again as a child process (fork + exec of /proc/self/exe) with other
// arguments, so a case that kills its process (SIGBUS, a library calling exit, a hang) is a
// reported failure instead of the end of the test. Header-only; used by the reliability tests.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace lh_test {

struct ChildResult {
    bool exited = false;   // exited normally (then `code`)
    int code = -1;
    int signal = 0;        // killed by this signal
    bool timed_out = false;
    std::string output;    // stdout and stderr together
    double seconds = 0;

    bool ok() const { return exited && code == 0; }
    std::string describe() const {
        if (timed_out) return "did not finish in time (killed)";
        if (exited) return "exited with status " + std::to_string(code);
        return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
    }
};

// Runs /proc/self/exe with `args` and the extra environment `env` ("NAME=value");
// address_space_limit (bytes, 0 = none) is set with setrlimit(RLIMIT_AS) in the child before
// exec. Kills the child after timeout_s.
inline ChildResult run_child(const std::vector<std::string> &args, double timeout_s, uint64_t address_space_limit = 0,
                             const std::vector<std::string> &env = {}) {
    ChildResult r;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        r.output = "pipe failed";
        return r;
    }
    std::vector<std::string> argv_s = {"/proc/self/exe"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (auto &a : argv_s) argv.push_back(&a[0]);
    argv.push_back(nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        for (const std::string &e : env) {
            const size_t eq = e.find('=');
            setenv(e.substr(0, eq).c_str(), e.substr(eq + 1).c_str(), 1);
        }
        if (address_space_limit) {
            struct rlimit rl = {address_space_limit, address_space_limit};
            setrlimit(RLIMIT_AS, &rl);
        }
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(fds[1]);
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    char buf[4096];
    for (;;) {
        const double left = timeout_s - elapsed();
        if (left <= 0) {
            kill(pid, SIGKILL);
            r.timed_out = true;
            break;
        }
        struct pollfd p = {fds[0], POLLIN, 0};
        int n = poll(&p, 1, static_cast<int>(left * 1000) + 1);
        if (n <= 0) continue;
        ssize_t got = read(fds[0], buf, sizeof buf);
        if (got <= 0) break;  // the child closed its end: it is exiting
        r.output.append(buf, static_cast<size_t>(got));
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    r.seconds = elapsed();
    if (WIFEXITED(status)) {
        r.exited = !r.timed_out;
        r.code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        r.signal = WTERMSIG(status);
    }
    return r;
}

}  // namespace lh_test
