// fuzzy-search: ranks a word list by Levenshtein edit distance to a query and returns the k
// closest words; a dynamic-programming scan over every word (CPU-bound, JSON-heavy input).
//
// Request:  {"query": "recieve", "k": 10, "words": ["a", "aardvark", ...]}
//           (query: 1..256 bytes; k: integer 1..1000, default 10; words: array of strings)
// Response: {"matches": [{"distance": 1, "word": "receive"}, ...], "query": "recieve",
//            "scanned": <number of words>}
//
// Distances count single-byte insertions, deletions and substitutions of the UTF-8 bytes.
// Matches are ordered by distance, ties by byte order of the word (= code point order).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "lumos.hpp"

namespace {

constexpr size_t kMaxQuery = 256;
constexpr int64_t kMaxK = 1000;
constexpr int64_t kDefaultK = 10;

// Levenshtein distance with one row of the DP table (`row` is scratch space, reused).
uint32_t edit_distance(const std::string& query, const std::string& word, std::vector<uint32_t>& row) {
  const size_t m = query.size();
  row.resize(m + 1);
  for (size_t i = 0; i <= m; ++i) row[i] = static_cast<uint32_t>(i);
  for (size_t j = 0; j < word.size(); ++j) {
    const char c = word[j];
    uint32_t diagonal = row[0];  // D[j][i-1] before it is overwritten
    row[0] = static_cast<uint32_t>(j + 1);
    for (size_t i = 1; i <= m; ++i) {
      uint32_t up = row[i];  // D[j][i]
      uint32_t best = diagonal + (query[i - 1] != c);
      best = std::min(best, up + 1);
      best = std::min(best, row[i - 1] + 1);
      row[i] = best;
      diagonal = up;
    }
  }
  return row[m];
}

struct Match {
  uint32_t distance;
  const std::string* word;
};

bool closer(const Match& a, const Match& b) {
  if (a.distance != b.distance) return a.distance < b.distance;
  return *a.word < *b.word;
}

}  // namespace

int lumos_handle(lumos_ctx* ctx, const uint8_t* input, size_t len) {
  auto req = lumos::parse_json(ctx, input, len);
  if (req.is_discarded()) {
    return lumos::fail(ctx, "request is not valid JSON (expected {\"query\": \"...\", \"k\": 10, \"words\": [...]})");
  }
  if (!req.is_object() || !req.contains("query") || !req["query"].is_string()) {
    return lumos::fail(ctx, "request needs a string field 'query'");
  }
  if (!req.contains("words") || !req["words"].is_array()) {
    return lumos::fail(ctx, "request needs an array of strings 'words'");
  }
  int64_t k = kDefaultK;
  if (req.contains("k")) {
    if (!req["k"].is_number_integer()) return lumos::fail(ctx, "'k' must be an integer");
    k = req["k"].get<int64_t>();
    if (k < 1 || k > kMaxK) return lumos::fail(ctx, "'k' must be between 1 and 1000");
  }
  const std::string& query = req["query"].get_ref<const std::string&>();
  if (query.empty() || query.size() > kMaxQuery) return lumos::fail(ctx, "'query' must have 1 to 256 bytes");
  const auto& words = req["words"];
  for (const auto& w : words) {
    if (!w.is_string()) return lumos::fail(ctx, "every element of 'words' must be a string");
  }

  nlohmann::json matches = nlohmann::json::array();
  {
    lumos::Phase p(ctx, "compute");
    std::vector<Match> scored;
    scored.reserve(words.size());
    std::vector<uint32_t> row;
    for (const auto& w : words) {
      const std::string& word = w.get_ref<const std::string&>();
      scored.push_back({edit_distance(query, word, row), &word});
    }
    const size_t top = std::min(scored.size(), static_cast<size_t>(k));
    std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(top), scored.end(), closer);
    for (size_t i = 0; i < top; ++i) {
      matches.push_back({{"distance", scored[i].distance}, {"word", *scored[i].word}});
    }
  }
  nlohmann::json out = {{"query", query}, {"scanned", words.size()}, {"matches", std::move(matches)}};
  lumos::write_json(ctx, out);
  return 0;
}
