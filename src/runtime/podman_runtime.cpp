// podman: the Docker-compatible engine. The function's OCI image is copied into podman's
// store (skopeo, once per image version) and each instance is a `podman run -i` container
// (runc as OCI runtime) serving framed requests over fds 3/4. podman-crun-wasmedge-*: the wasm
// and wasm-aot images run by podman with crun as its OCI runtime and the compat-smart
// annotation, so crun's WasmEdge handler runs them: the Docker-compatible path of a Wasm image.
#include <unistd.h>

#include <atomic>
#include <fstream>

#include <sys/stat.h>

#include "lumos/common/process.hpp"
#include "lumos/telemetry/proc_stats.hpp"
#include "oci_engine.hpp"
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

// Single-quoted for sh (a quote inside becomes '\'').
std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class PodmanRuntime final : public Runtime {
 public:
  PodmanRuntime(ToolPaths tools, PodmanVariant variant)
      : tools_(std::move(tools)),
        name_(std::move(variant.name)),
        flavour_(std::move(variant.image_flavour)),
        wasm_(variant.wasm_handler),
        exec_mode_(variant.exec_mode) {}

  std::string_view name() const override { return name_; }

  Result<void> check() const override {
    auto version = lumos::run_command({tools_.podman, "--version"});
    if (!version || version->exit_code != 0) {
      return fail(ErrorCode::kNotInstalled,
                  "podman not found (" + tools_.podman + "): run scripts/setup or set LUMOS_PODMAN");
    }
    if (geteuid() != 0) return fail(ErrorCode::kNotInstalled, "podman (rootful) needs root: run lumos as root");
    if (wasm_) {
      if (auto crun = engine_version(crun_engine(tools_), true); !crun) return tl::unexpected(crun.error());
    }
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
    if (wasm_) {
      if (!image->is_wasm()) {
        return fail(ErrorCode::kBuild, "image " + image->reference() + " is not a wasm image (no " +
                                           std::string(image::kWasmVariantAnnotation) + " annotation)");
      }
      if (auto w = write_crun_wrapper(); !w) return w;
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
    const auto cid = [cidfile] {
      std::ifstream in(cidfile);
      std::string id;
      return in >> id ? "libpod-" + id : std::string();
    };
    // conmon, not `podman run`, is the container's parent: its CPU comes from its cgroup.
    // runc: <cgroup of podman run>/libpod-<id>; crun: <cgroup parent>/libpod-<id> (see stats).
    const bool crun = wasm_;
    const std::string parent_path = crun ? cgroup_parent() : std::string();
    options.last_cpu = [cid, crun, parent_path](pid_t spawned) -> std::optional<int> {
      const std::string leaf = cid();
      if (leaf.empty()) return std::nullopt;
      std::string base =
          crun ? (parent_path == "." ? std::string() : parent_path) : telemetry::cgroup_of(spawned, "memory");
      if (base == "/") base.clear();
      return telemetry::cgroup_last_cpu(base + "/" + leaf);
    };
    if (wasm_) {
      // A WASI module sees only its own fd table: the protocol runs on the attached stdio
      // (conmon's relay), as for crun-wasmedge-*. The container's cgroup is <parent>/libpod-<id>.
      options.exec_mode = exec_mode_;
      const std::string parent = cgroup_parent();
      options.stats = [cid, parent](pid_t) {
        const std::string leaf = cid();
        return leaf.empty() ? InstanceStats{} : cgroup_path_stats((parent == "." ? "" : parent) + "/" + leaf);
      };
    } else {
      // The protocol pipes go to the container as fds 3 and 4 (--preserve-fds), not through
      // conmon's stdio relay.
      options.argv.insert(options.argv.end(), {"--preserve-fds", "2", "--env", kContainerProtocolFdsEnv});
      options.protocol_fd = kContainerProtocolFd;
      // The container's cgroup is <podman run's>/libpod-<id> (see run_argv); the ID is in the
      // cidfile once the container exists.
      options.stats = container_cgroup_stats(cid);
    }
    options.argv.push_back(it->second.reference);
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
    if (wasm_) {
      return tl::unexpected(wasm_handler_command_refusal(name_));
    }
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
    std::vector<std::string> argv = {tools_.podman,     "run",
                                     "--interactive",   "--rm",
                                     "--runtime",       wasm_ ? crun_wrapper().string() : std::string("runc"),
                                     "--ulimit",        "nofile=4096:4096",
                                     "--ulimit",        "nproc=4096:4096",
                                     "--cgroups",       "no-conmon",
                                     "--cgroup-parent", wasm_ ? cgroup_parent() : std::string("."),
                                     "--pull",          "never",
                                     "--name",          container,
                                     "--cidfile",       cidfile.string(),
                                     "--read-only"};  // a read-only root, as runc's containers have
    if (wasm_) argv.insert(argv.end(), {"--annotation", std::string(image::kWasmVariantAnnotation) + "=compat-smart"});
    if (tools_.container_netns.empty()) {
      argv.insert(argv.end(), {"--network", "none"});
    } else {
      argv.insert(argv.end(), {"--network", "ns:" + tools_.container_netns, "--env",
                               "LUMOS_BAAS_ADDR=" + tools_.container_baas_addr, "--env",
                               "LUMOS_BAAS_PASSWORD=" + tools_.baas_password});
    }
    return argv;
  }

  // podman hands its OCI runtime `--log-format=json --log FILE` only when the runtime's file is
  // named crun, and passes no --root: the wrapper is an executable named `crun` in lumos' state
  // folder that runs Debian 13's crun through lumos-crun-launch with a --root of its own.
  fs::path crun_wrapper() const { return tools_.state_dir / "podman-crun" / "crun"; }

  Result<void> write_crun_wrapper() const {
    OciEngine engine = crun_engine(tools_);
    engine.state_root = tools_.state_dir / "crun-podman";
    std::string line = "exec";
    for (const auto& word : engine.command({})) line.append(" ").append(sh_quote(word));
    std::string text = "#!/bin/sh\n# Written by lumos (podman-crun-wasmedge-*): crun for podman.\n";
    text.append(line).append(" \"$@\"\n");
    std::error_code ec;
    fs::create_directories(crun_wrapper().parent_path(), ec);
    const fs::path tmp = crun_wrapper().string() + "." + std::to_string(getpid()) + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << text;
      if (!out) return fail(ErrorCode::kIo, "cannot write " + tmp.string());
    }
    if (::chmod(tmp.c_str(), 0755) != 0 || ::rename(tmp.c_str(), crun_wrapper().c_str()) != 0) {
      fs::remove(tmp, ec);
      return fail(ErrorCode::kIo, "cannot install the crun wrapper at " + crun_wrapper().string());
    }
    return {};
  }

  // crun places a container whose cgroup parent is relative at the hierarchy root: give it the
  // cell's slot (the same path in every hierarchy) when there is one, else "." (the root).
  std::string cgroup_parent() const {
    std::string path = container_cgroup(tools_.spawn_scope, "x");
    path.resize(path.size() - 2);  // drop "/x"
    return path.empty() ? "." : path;
  }

  ToolPaths tools_;
  std::string name_;
  std::string flavour_;
  bool wasm_ = false;
  std::optional<protocol::ExecMode> exec_mode_;
  std::map<std::string, Loaded> loaded_;
};

}  // namespace

std::unique_ptr<Runtime> make_podman_runtime(const ToolPaths& tools, std::string name, std::string image_flavour) {
  PodmanVariant variant;
  variant.name = std::move(name);
  variant.image_flavour = std::move(image_flavour);
  return std::make_unique<PodmanRuntime>(tools, std::move(variant));
}

std::unique_ptr<Runtime> make_podman_crun_wasmedge_runtime(const ToolPaths& tools, bool aot) {
  PodmanVariant variant;
  variant.name = aot ? "podman-crun-wasmedge-aot" : "podman-crun-wasmedge-interp";
  variant.image_flavour = std::string(aot ? image::kWasmAot : image::kWasm);
  variant.wasm_handler = true;
  variant.exec_mode = aot ? protocol::ExecMode::kAotUnverified : protocol::ExecMode::kInterpreter;
  auto runtime = std::make_unique<PodmanRuntime>(tools, std::move(variant));
  if (!aot) return runtime;
  return make_aot_checked_runtime(std::move(runtime), tools);
}

}  // namespace lumos::runtime
