// podman: the Docker-compatible engine. The function's OCI image is copied into podman's
// store (skopeo, once per image version) and each instance is a `podman run -i` container
// (runc as OCI runtime) serving framed requests over the attached stdin/stdout.
#include <unistd.h>

#include <atomic>
#include <fstream>

#include "lumos/common/process.hpp"
#include "lumos/telemetry/proc_stats.hpp"
#include "one_shot.hpp"
#include "process_instance.hpp"
#include "runtimes.hpp"

namespace lumos::runtime {
namespace {

namespace fs = std::filesystem;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string tail(const std::string& text, std::size_t max = 600) {
  std::string t = trim(text);
  return t.size() <= max ? t : "..." + t.substr(t.size() - max);
}

struct Loaded {
  std::string reference;  ///< localhost/lumos/<function>:<flavour> in podman's store
};

class PodmanRuntime final : public Runtime {
 public:
  PodmanRuntime(ToolPaths tools, std::string name, std::string flavour)
      : tools_(std::move(tools)), name_(std::move(name)), flavour_(std::move(flavour)) {}

  std::string_view name() const override { return name_; }

  Result<void> check() const override {
    auto version = lumos::run_command({tools_.podman, "--version"});
    if (!version || version->exit_code != 0) {
      return fail(ErrorCode::kNotInstalled,
                  "podman not found (" + tools_.podman + "): run scripts/setup or set LUMOS_PODMAN");
    }
    if (geteuid() != 0) return fail(ErrorCode::kNotInstalled, "podman (rootful) needs root: run lumos as root");
    return {};
  }

  // Builds the image if needed, checks it, and copies it into podman's store unless the store
  // already holds this image (podman's image ID is the config digest).
  Result<void> prepare(const Artifacts& a) override {
    auto image = image::build_image(a, flavour_, image_tools(tools_));
    if (!image) return tl::unexpected(image.error());
    std::string reference = "localhost/lumos/" + a.function + ":" + flavour_;
    std::string want_id = image->config_digest.substr(image->config_digest.find(':') + 1);
    auto inspected = lumos::run_command({tools_.podman, "image", "inspect", "--format", "{{.Id}}", reference});
    if (!inspected || inspected->exit_code != 0 || trim(inspected->out) != want_id) {
      auto copied = lumos::run_command(
          {tools_.skopeo, "copy", "--quiet", "oci:" + image->reference(), "containers-storage:" + reference});
      if (!copied) {
        return fail(copied.error().code == ErrorCode::kNotInstalled ? ErrorCode::kNotInstalled : ErrorCode::kBuild,
                    "loading image " + image->reference() + " into podman's store: " + copied.error().message +
                        " (run scripts/setup or set LUMOS_SKOPEO)");
      }
      if (copied->exit_code != 0) {
        return fail(ErrorCode::kBuild, "loading image " + image->reference() + " into podman's store as " + reference +
                                           ": skopeo copy exited with code " + std::to_string(copied->exit_code) +
                                           ": " + tail(copied->out));
      }
      // The previous version of this image is now untagged: drop it (fails harmlessly if in use).
      if (inspected && inspected->exit_code == 0 && !trim(inspected->out).empty()) {
        (void)lumos::run_command({tools_.podman, "rmi", trim(inspected->out)});
      }
    }
    loaded_[a.function] = Loaded{reference};
    return {};
  }

  Result<std::unique_ptr<Instance>> start_instance(const std::string& function,
                                                   std::chrono::milliseconds timeout) override {
    auto it = loaded_.find(function);
    if (it == loaded_.end()) return fail(ErrorCode::kInternal, function + " was not prepared");
    std::string container = next_name("lumos");
    fs::path cidfile = tools_.state_dir / "podman" / (container + ".cid");
    std::error_code ec;
    fs::create_directories(cidfile.parent_path(), ec);
    fs::remove(cidfile, ec);
    ProcessInstanceOptions options;
    options.argv = run_argv(container, cidfile);
    // The protocol pipes go to the container as fds 3 and 4 (--preserve-fds), not through
    // conmon's stdio relay.
    options.argv.insert(options.argv.end(), {"--preserve-fds", "2", "--env", kContainerProtocolFdsEnv});
    options.protocol_fd = kContainerProtocolFd;
    options.argv.push_back(it->second.reference);
    // The container's cgroup is <podman run's>/libpod-<id> (see run_argv); the ID is in the
    // cidfile once the container exists.
    options.stats = container_cgroup_stats([cidfile] {
      std::ifstream in(cidfile);
      std::string id;
      return in >> id ? "libpod-" + id : std::string();
    });
    // Under an environment profile `podman run` starts inside the cell's cgroup slot, and so
    // do conmon and the container.
    options.spawn_scope = tools_.spawn_scope;
    std::string podman = tools_.podman;
    options.after_kill = [podman, container, cidfile] {
      (void)lumos::run_command({podman, "rm", "--force", "--time", "0", container});
      std::error_code ignored;
      fs::remove(cidfile, ignored);
    };
    auto instance = start_process_instance(std::move(options), timeout);
    return instance;
  }

  // Command functions: one `podman run` per invocation with the working directory mounted at /work.
  Result<CommandOutcome> run_command(const CommandRequest& request) override {
    auto it = loaded_.find(request.function);
    if (it == loaded_.end()) return fail(ErrorCode::kInternal, request.function + " was not prepared");
    std::string container = next_name("lumos-cmd");
    fs::path cidfile = request.stdout_file.parent_path() / "podman.cid";
    std::vector<std::string> argv = run_argv(container, cidfile);
    argv.insert(argv.end(), {"--volume", request.work_dir.string() + ":/work", "--workdir", "/work"});
    for (const auto& e : env_entries(request.env)) argv.insert(argv.end(), {"--env", e});
    argv.push_back(it->second.reference);
    argv.insert(argv.end(), request.args.begin(), request.args.end());
    auto outcome = run_one_shot_command(argv, request, std::nullopt, std::nullopt, tools_.spawn_scope);
    if (outcome && outcome->timed_out) {
      (void)lumos::run_command({tools_.podman, "rm", "--force", "--time", "0", container});
    }
    if (outcome) outcome->exec_mode = protocol::ExecMode::kNative;
    return outcome;
  }

 private:
  std::string next_name(const std::string& prefix) {
    static std::atomic<int> counter{0};
    return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  }

  // `podman run` as DESIGN.md found it to work here: runc (crun fails on this cgroup setup) and
  // explicit ulimits; no pulling; network: none, or the BaaS namespace with Redis' address.
  // `--cgroups=no-conmon --cgroup-parent=.` (cgroupfs manager): conmon stays in podman's cgroup
  // and runc gets the relative path libpod-<id>, so the container is born under the cgroup of
  // `podman run`, as runc's containers are (lumos' own group, or the cell's slot), instead of
  // /libpod_parent.
  std::vector<std::string> run_argv(const std::string& container, const fs::path& cidfile) const {
    std::vector<std::string> argv = {tools_.podman, "run",       "--interactive",    "--rm",      "--runtime",
                                     "runc",        "--ulimit",  "nofile=4096:4096", "--ulimit",  "nproc=4096:4096",
                                     "--cgroups",   "no-conmon", "--cgroup-parent",  ".",         "--pull",
                                     "never",       "--name",    container,          "--cidfile", cidfile.string()};
    if (tools_.container_netns.empty()) {
      argv.insert(argv.end(), {"--network", "none"});
    } else {
      argv.insert(argv.end(), {"--network", "ns:" + tools_.container_netns, "--env",
                               "LUMOS_BAAS_ADDR=" + tools_.container_baas_addr});
    }
    return argv;
  }

  ToolPaths tools_;
  std::string name_;
  std::string flavour_;
  std::map<std::string, Loaded> loaded_;
};

}  // namespace

std::unique_ptr<Runtime> make_podman_runtime(const ToolPaths& tools, std::string name, std::string image_flavour) {
  return std::make_unique<PodmanRuntime>(tools, std::move(name), std::move(image_flavour));
}

}  // namespace lumos::runtime
