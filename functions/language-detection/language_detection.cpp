// language-detection: tells which of six languages (en, de, fr, es, it, pt) a text is written in,
// with Cavnar-Trenkle character-trigram profiles and the out-of-place distance.
//
// Request:  {"text": "..."}
// Response: {"language": "de", "scores": {"de": 7127, "en": 5523, ...}}
//
// The text's trigrams ("_word_" padded, letters lower-cased, see make_profiles.py) are ranked by
// count (ties in code point order) and the top kProfileSize are compared with each language
// profile: a trigram at rank r that a profile has at rank r' costs |r - r'|, a missing one costs
// kProfileSize. The language with the smallest distance wins (ties: profile order). A score is
// 10000 * (1 - distance / (ranked trigrams * kProfileSize)), rounded half up, in integers.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lumos.hpp"
#include "profiles.hpp"

namespace {

// Letters map to 1..59 in code point order; 0 is the word boundary. A trigram id is
// a << 12 | b << 6 | c.
constexpr uint32_t kAlphabetBits = 6;
constexpr uint32_t kBoundary = 0;

// Alphabet index of a code point after lower-casing, or kBoundary for a non-letter.
uint32_t letter_index(uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z')
    cp += 32;
  else if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
    cp += 32;  // Latin-1 capitals
  else if (cp == 0x152)
    cp = 0x153;  // Œ
  else if (cp == 0x178)
    cp = 0xFF;                                            // Ÿ
  if (cp >= 'a' && cp <= 'z') return 1 + (cp - 'a');      // 1..26
  if (cp >= 0xDF && cp <= 0xF6) return 27 + (cp - 0xDF);  // ß à..ö: 27..50
  if (cp >= 0xF8 && cp <= 0xFF) return 51 + (cp - 0xF8);  // ø..ÿ: 51..58
  if (cp == 0x153) return 59;                             // œ
  return kBoundary;
}

// Decodes one UTF-8 code point at `pos` (the JSON parser has validated the encoding).
uint32_t next_code_point(std::string_view s, size_t& pos) {
  auto b = static_cast<uint8_t>(s[pos++]);
  if (b < 0x80) return b;
  int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : 1;
  uint32_t cp = b & (0x3F >> extra);
  for (int i = 0; i < extra && pos < s.size(); ++i) cp = (cp << 6) | (static_cast<uint8_t>(s[pos++]) & 0x3F);
  return cp;
}

// Trigram counts of a text in an open-addressing hash table sized to the text (a short text
// touches little memory; at most 60^3 distinct trigrams keep the largest table under half full).
class TrigramCounts {
 public:
  explicit TrigramCounts(size_t text_bytes) {
    while (bits_ < 19 && (size_t{1} << bits_) < 2 * text_bytes) ++bits_;
    slots_.assign(size_t{1} << bits_, 0);
  }

  void add(uint32_t id) {
    uint64_t& slot = find(id);
    if (slot == 0) slot = (uint64_t{id} + 1) << 32;
    ++slot;
  }

  /// The text profile: ids by count (descending), ties by id, at most `size`.
  std::vector<uint32_t> ranked(size_t size) const {
    std::vector<uint64_t> entries;  // count << 32 | (2^32 - 1 - id): larger sorts first
    for (uint64_t slot : slots_) {
      if (slot != 0) entries.push_back((slot & 0xFFFFFFFFu) << 32 | (0xFFFFFFFFu - ((slot >> 32) - 1)));
    }
    size_t keep = std::min(entries.size(), size);
    std::partial_sort(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(keep), entries.end(),
                      std::greater<>());
    std::vector<uint32_t> ids(keep);
    for (size_t i = 0; i < keep; ++i) ids[i] = 0xFFFFFFFFu - static_cast<uint32_t>(entries[i]);
    return ids;
  }

  /// Replaces every count by the trigram's 1-based position in `ranked` (0 if not in it).
  void set_ranks(const std::vector<uint32_t>& ranked) {
    for (uint64_t& slot : slots_) slot &= ~uint64_t{0xFFFFFFFFu};
    for (size_t r = 0; r < ranked.size(); ++r) find(ranked[r]) |= r + 1;
  }

  /// After set_ranks(): the 1-based rank of `id` in the text, 0 if it is not ranked.
  uint32_t rank_of(uint32_t id) { return static_cast<uint32_t>(find(id)); }

 private:
  // The slot holding `id`, or the empty slot where it belongs.
  uint64_t& find(uint32_t id) {
    uint64_t key = uint64_t{id} + 1;  // 0 marks an empty slot
    size_t mask = slots_.size() - 1;
    size_t h = (static_cast<uint32_t>(key) * 2654435761u) >> (32 - bits_);
    while (slots_[h] != 0 && (slots_[h] >> 32) != key) h = (h + 1) & mask;
    return slots_[h];
  }

  int bits_ = 8;
  std::vector<uint64_t> slots_;  // (id + 1) << 32 | count (or rank)
};

TrigramCounts count_trigrams(std::string_view text) {
  constexpr uint32_t kNone = (1u << kAlphabetBits) - 1;  // window not yet full
  TrigramCounts counts(text.size());
  // Sliding window over "_word_": a word of n letters gives n trigrams.
  uint32_t prev2 = kNone, prev1 = kBoundary;
  bool in_word = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    uint32_t idx = kBoundary;
    if (pos < text.size())
      idx = letter_index(next_code_point(text, pos));
    else
      ++pos;  // end of text: close the last word
    if (idx != kBoundary) {
      if (prev2 != kNone) counts.add(prev2 << 12 | prev1 << 6 | idx);
      prev2 = prev1;
      prev1 = idx;
      in_word = true;
    } else if (in_word) {
      counts.add(prev2 << 12 | prev1 << 6 | kBoundary);
      prev2 = kNone;
      prev1 = kBoundary;
      in_word = false;
    }
  }
  return counts;
}

// Out-of-place distance of the ranked text trigrams from a profile ("abc _de ...", '_' =
// boundary, most frequent first), walking the profile and looking its trigrams up in the text.
uint64_t distance(TrigramCounts& text, size_t ranked, const char* profile) {
  uint64_t total = 0;
  size_t matched = 0;
  std::string_view s(profile);
  size_t pos = 0;
  for (size_t p = 0; pos < s.size(); ++p) {
    uint32_t id = 0;
    for (int k = 0; k < 3; ++k) {
      uint32_t cp = next_code_point(s, pos);
      id = id << kAlphabetBits | (cp == '_' ? kBoundary : letter_index(cp));
    }
    if (pos < s.size()) ++pos;  // the separating space
    if (uint32_t r1 = text.rank_of(id); r1 != 0) {
      size_t r = r1 - 1;
      total += p > r ? p - r : r - p;
      ++matched;
    }
  }
  return total + (ranked - matched) * profiles::kProfileSize;
}

}  // namespace

int lumos_handle(lumos_ctx* ctx, const uint8_t* input, size_t len) {
  auto j = lumos::parse_json(ctx, input, len);
  if (j.is_discarded() || !j.is_object()) return lumos::fail(ctx, "request must be a JSON object {\"text\": \"...\"}");
  auto text_it = j.find("text");
  if (text_it == j.end() || !text_it->is_string()) return lumos::fail(ctx, "'text' must be a string");

  nlohmann::json out;
  {
    lumos::Phase phase(ctx, "compute");
    TrigramCounts counts = count_trigrams(text_it->get_ref<const std::string&>());
    std::vector<uint32_t> ranked = counts.ranked(profiles::kProfileSize);
    if (ranked.empty()) return lumos::fail(ctx, "'text' has no letters of the six languages");
    counts.set_ranks(ranked);

    const uint64_t worst = uint64_t{ranked.size()} * profiles::kProfileSize;
    const char* best = nullptr;
    uint64_t best_distance = 0;
    nlohmann::json scores = nlohmann::json::object();
    for (const auto& profile : profiles::kProfiles) {
      uint64_t d = distance(counts, ranked.size(), profile.trigrams);
      if (best == nullptr || d < best_distance) {
        best = profile.code;
        best_distance = d;
      }
      scores[profile.code] = ((worst - d) * 10000 + worst / 2) / worst;
    }
    out["language"] = best;
    out["scores"] = std::move(scores);
  }
  lumos::write_json(ctx, out);
  return 0;
}
