// nbody: the Jovian planets (Sun, Jupiter, Saturn, Uranus, Neptune) under Newtonian gravity,
// integrated with the symplectic Euler scheme of the Computer Language Benchmarks Game
// (velocities from all pair forces, then positions), time step 0.01 day-units, units where
// G = 1, distances in AU, one year = 365.24 days, solar mass = 4 pi^2.
//
// Request:  {"steps": 1000}   (integer, 0 <= steps <= 100000000)
// Response: {"energy_after": "-0.169087605", "energy_before": "-0.169075164", "steps": 1000}
//
// Only + - * / and sqrt (exactly rounded in IEEE 754) in a fixed order, and the energies are
// rounded to 9 decimals with integer arithmetic, so every runtime prints the same text.
// reference.py repeats the same operations in Python.
#include <cmath>
#include <cstdint>
#include <string>

#include "lumos.hpp"

namespace {

constexpr int64_t kMaxSteps = 100000000;
constexpr double kPi = 3.141592653589793;
constexpr double kSolarMass = 4 * kPi * kPi;
constexpr double kDaysPerYear = 365.24;
constexpr double kDt = 0.01;
constexpr int kBodies = 5;

struct Body {
  double pos[3];
  double vel[3];  // AU per year (AU/day * 365.24)
  double mass;
};

// Heliocentric positions (AU), velocities (AU/day) and masses (solar masses) of the giant planets.
struct Ephemeris {
  double pos[3];
  double vel_per_day[3];
  double mass_solar;
};

constexpr Ephemeris kPlanets[kBodies - 1] = {
    // Jupiter
    {{4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01},
     {1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05},
     9.54791938424326609e-04},
    // Saturn
    {{8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01},
     {-2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05},
     2.85885980666130812e-04},
    // Uranus
    {{1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01},
     {2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05},
     4.36624404335156298e-05},
    // Neptune
    {{1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01},
     {2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05},
     5.15138902046611451e-05},
};

struct System {
  Body b[kBodies];
};

// The Sun at the origin, at rest; then its velocity set so that the total momentum is zero.
System initial_system() {
  System s{};
  s.b[0].mass = kSolarMass;
  for (int i = 1; i < kBodies; ++i) {
    const Ephemeris& e = kPlanets[i - 1];
    for (int k = 0; k < 3; ++k) {
      s.b[i].pos[k] = e.pos[k];
      s.b[i].vel[k] = e.vel_per_day[k] * kDaysPerYear;
    }
    s.b[i].mass = e.mass_solar * kSolarMass;
  }
  double momentum[3] = {0, 0, 0};
  for (int i = 0; i < kBodies; ++i) {
    for (int k = 0; k < 3; ++k) momentum[k] += s.b[i].vel[k] * s.b[i].mass;
  }
  for (int k = 0; k < 3; ++k) s.b[0].vel[k] = -momentum[k] / kSolarMass;
  return s;
}

// Kinetic energy of every body, minus the potential energy of every pair.
double energy(const System& s) {
  double e = 0;
  for (int i = 0; i < kBodies; ++i) {
    const Body& a = s.b[i];
    e += 0.5 * a.mass * (a.vel[0] * a.vel[0] + a.vel[1] * a.vel[1] + a.vel[2] * a.vel[2]);
    for (int j = i + 1; j < kBodies; ++j) {
      const Body& c = s.b[j];
      double dx = a.pos[0] - c.pos[0];
      double dy = a.pos[1] - c.pos[1];
      double dz = a.pos[2] - c.pos[2];
      e -= (a.mass * c.mass) / std::sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}

// One step: kick every pair's velocities by the gravitational acceleration over dt, then drift.
void advance(System& s, double dt) {
  for (int i = 0; i < kBodies; ++i) {
    Body& a = s.b[i];
    for (int j = i + 1; j < kBodies; ++j) {
      Body& c = s.b[j];
      double dx = a.pos[0] - c.pos[0];
      double dy = a.pos[1] - c.pos[1];
      double dz = a.pos[2] - c.pos[2];
      double dist2 = dx * dx + dy * dy + dz * dz;
      double scale = dt / (dist2 * std::sqrt(dist2));  // dt / |d|^3
      double ka = c.mass * scale;
      double kc = a.mass * scale;
      a.vel[0] -= dx * ka;
      a.vel[1] -= dy * ka;
      a.vel[2] -= dz * ka;
      c.vel[0] += dx * kc;
      c.vel[1] += dy * kc;
      c.vel[2] += dz * kc;
    }
  }
  for (int i = 0; i < kBodies; ++i) {
    for (int k = 0; k < 3; ++k) s.b[i].pos[k] += dt * s.b[i].vel[k];
  }
}

// "-0.169075164": the value rounded half away from zero to 9 decimals, printed without printf.
std::string fixed9(double v) {
  double scaled = std::floor(std::fabs(v * 1e9) + 0.5);
  uint64_t units = static_cast<uint64_t>(scaled);
  std::string frac = std::to_string(units % 1000000000);
  std::string text = std::to_string(units / 1000000000) + "." + std::string(9 - frac.size(), '0') + frac;
  return (v < 0 && units != 0 ? "-" : "") + text;
}

}  // namespace

int lumos_handle(lumos_ctx* ctx, const uint8_t* input, size_t len) {
  auto req = lumos::parse_json(ctx, input, len);
  if (req.is_discarded()) return lumos::fail(ctx, "request is not valid JSON (expected {\"steps\": N})");
  if (!req.is_object() || !req.contains("steps") || !req["steps"].is_number_integer()) {
    return lumos::fail(ctx, "request needs an integer field 'steps' (digits, e.g. 1000000, not 1e6)");
  }
  const int64_t steps = req["steps"].get<int64_t>();
  if (steps < 0 || steps > kMaxSteps) return lumos::fail(ctx, "'steps' must be between 0 and 100000000");

  double before = 0, after = 0;
  {
    lumos::Phase p(ctx, "compute");
    System s = initial_system();
    before = energy(s);
    for (int64_t i = 0; i < steps; ++i) advance(s, kDt);
    after = energy(s);
  }
  nlohmann::json out = {{"steps", steps}, {"energy_before", fixed9(before)}, {"energy_after", fixed9(after)}};
  lumos::write_json(ctx, out);
  return 0;
}
