// c10d process groups over Gloo: rendezvous stores and the collectives data-parallel training needs.
// Built when the Gloo headers (Debian's libgloo-dev) are present; the engine's own library holds
// the implementation. Without them every entry point reports that the build has no Gloo.
#include "ctorch_internal.h"

#if __has_include(<gloo/algorithm.h>) && __has_include(<torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>)
#define CTORCH_HAS_GLOO 1
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1
#endif
#include <torch/csrc/distributed/c10d/HashStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <chrono>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#ifdef CTORCH_HAS_GLOO
namespace {
using StorePtr = c10::intrusive_ptr<c10d::Store>;
using GroupPtr = c10::intrusive_ptr<c10d::ProcessGroupGloo>;

StorePtr &S(ct_store s) { return *reinterpret_cast<StorePtr *>(s); }
GroupPtr &G(ct_group g) { return *reinterpret_cast<GroupPtr *>(g); }

std::chrono::milliseconds millis(double seconds) {
    return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

#ifndef MAMMOFM_TORCH_DEBIAN
// A listening TCP socket on host:port only (the store's server takes it over; libtorch >= 2).
int listen_on(const char *host, int port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo *found = nullptr;
    std::string service = std::to_string(port);
    if (int code = getaddrinfo(host, service.c_str(), &hints, &found); code != 0) {
        throw std::runtime_error(std::string("cannot resolve the store's listening address ") + host + ": " + gai_strerror(code));
    }
    int fd = -1;
    std::string why = "no address";
    for (addrinfo *a = found; a != nullptr && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) { why = std::strerror(errno); continue; }
        int yes = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 128) != 0) {
            why = std::strerror(errno);
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    if (fd < 0) throw std::runtime_error(std::string("cannot listen on ") + host + ":" + service + ": " + why);
    return fd;
}
#endif

void wait(const c10::intrusive_ptr<c10d::Work> &work) {
    if (!work->wait()) throw std::runtime_error("collective did not complete");
}
} // namespace
#define CT_GLOO(...) CT_TRY(__VA_ARGS__)
#else
#define CT_GLOO(...) return ctorch::copy_message("this engine build has no Gloo: install libgloo-dev (make setup) and rebuild");
#endif

extern "C" {

bool ct_distributed_available(void) {
#ifdef CTORCH_HAS_GLOO
    return true;
#else
    return false;
#endif
}

ct_status ct_store_in_process(ct_store *out) {
    CT_GLOO(*out = reinterpret_cast<ct_store>(new StorePtr(c10::make_intrusive<c10d::HashStore>())))
}

ct_status ct_store_tcp(const char *host, int port, int world_size, bool is_server, double timeout_seconds,
                       const char *listen_host, ct_store *out) {
    CT_GLOO({
        c10d::TCPStoreOptions options;
        options.port = static_cast<uint16_t>(port);
        options.isServer = is_server;
        options.numWorkers = static_cast<size_t>(world_size);
        // Every rank counts itself in; the server returns once all have.
        options.waitWorkers = true;
        options.timeout = millis(timeout_seconds);
        if (is_server && listen_host != nullptr) {
#ifdef MAMMOFM_TORCH_DEBIAN
            throw std::runtime_error("libtorch 1.13 cannot restrict the store's listening address");
#else
            options.masterListenFd = listen_on(listen_host, port);
#endif
        }
        *out = reinterpret_cast<ct_store>(new StorePtr(c10::make_intrusive<c10d::TCPStore>(std::string(host), options)));
    })
}

void ct_store_free(ct_store s) {
#ifdef CTORCH_HAS_GLOO
    delete reinterpret_cast<StorePtr *>(s);
#else
    (void)s;
#endif
}

ct_status ct_group_gloo(ct_store store, int rank, int size, const char *interface_host, double timeout_seconds,
                        ct_group *out) {
    CT_GLOO({
        auto options = c10d::ProcessGroupGloo::Options::create();
        options->timeout = millis(timeout_seconds);
        options->devices.push_back(interface_host != nullptr
                                       ? c10d::ProcessGroupGloo::createDeviceForHostname(interface_host)
                                       : c10d::ProcessGroupGloo::createDefaultDevice());
        *out = reinterpret_cast<ct_group>(new GroupPtr(c10::make_intrusive<c10d::ProcessGroupGloo>(S(store), rank, size, options)));
    })
}

void ct_group_free(ct_group g) {
#ifdef CTORCH_HAS_GLOO
    delete reinterpret_cast<GroupPtr *>(g);
#else
    (void)g;
#endif
}

// Collectives take a vector of tensors (one per device); MammoFM passes one.
ct_status ct_group_all_reduce_sum(ct_group g, ct_tensor t) {
    CT_GLOO({
        std::vector<at::Tensor> tensors{ctorch::T(t)};
        wait(G(g)->allreduce(tensors));
    })
}

ct_status ct_group_all_gather(ct_group g, ct_tensor t, ct_tensor *out) {
    CT_GLOO({
        const at::Tensor input = ctorch::T(t).contiguous();
        std::vector<at::Tensor> inputs{input};
        std::vector<std::vector<at::Tensor>> outputs(1);
        for (int r = 0; r < G(g)->getSize(); ++r) outputs[0].push_back(at::empty_like(input));
        wait(G(g)->allgather(outputs, inputs));
        *out = ctorch::wrap(at::cat(outputs[0], 0));
    })
}

ct_status ct_group_broadcast(ct_group g, ct_tensor t, int root) {
    CT_GLOO({
        std::vector<at::Tensor> tensors{ctorch::T(t)};
        c10d::BroadcastOptions options;
        options.rootRank = root;
        wait(G(g)->broadcast(tensors, options));
    })
}

ct_status ct_group_barrier(ct_group g) {
    CT_GLOO(wait(G(g)->barrier()))
}

} // extern "C"
