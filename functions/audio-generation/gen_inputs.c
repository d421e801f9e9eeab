/* Input generator for audio-generation: writes the requests whose WAV is about 512, 1024 and
 * 2048 KB (kb512/kb1024/kb2048.json: 16.384, 32.768, 65.536 s at 16 kHz). The committed
 * inputs/small.json (kb1, 0.032 s) and inputs/medium.json (kb50, 1.6 s) use the same chord.
 * Run as `gen DIR`; writes into the current directory. */
#include <stdio.h>

static const char kTones[] =
    "[{\"freq\":110,\"amp\":0.15},{\"freq\":440,\"amp\":0.3},{\"freq\":554.37,\"amp\":0.2},"
    "{\"freq\":659.25,\"amp\":0.2},{\"freq\":1760.5,\"amp\":0.05}]";

int main(void) {
  static const struct {
    const char* name;
    const char* seconds;
  } kInputs[] = {{"kb512.json", "16.384"}, {"kb1024.json", "32.768"}, {"kb2048.json", "65.536"}};
  for (size_t i = 0; i < sizeof kInputs / sizeof kInputs[0]; ++i) {
    FILE* f = fopen(kInputs[i].name, "w");
    if (!f) {
      perror(kInputs[i].name);
      return 1;
    }
    fprintf(f, "{\"seconds\":%s,\"sample_rate\":16000,\"tones\":%s}\n", kInputs[i].seconds, kTones);
    if (fclose(f) != 0) {
      perror(kInputs[i].name);
      return 1;
    }
  }
  return 0;
}
