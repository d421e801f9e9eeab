/* Input generator for language-detection. Holds one short original text per language (written
 * for this project) and writes:
 *   en.json de.json fr.json es.json it.json pt.json  the texts as they are (about 1 KB each;
 *                                                    committed as inputs/<code>.json)
 *   kb50.json (fr), kb512.json (pt), kb1024.json (it), kb2048.json (es)
 *                                                    words of one text in a deterministic
 *                                                    shuffle (splitmix64, fixed seed) until the
 *                                                    text reaches the size; kb50.json is
 *                                                    committed as inputs/medium.json
 * Every request is {"text": "..."}. Run as `gen DIR`; writes into the current directory. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct Text {
  const char* code;
  const char* text;
};

static const struct Text kTexts[] = {
    {"en",
     "The old lighthouse keeper climbed the narrow stairs every evening to light the lamp before the "
     "fishing boats returned. His daughter preferred to stay in the kitchen, where she baked bread and "
     "listened to the radio reports about the weather over the northern sea. When the storm finally "
     "arrived in late November, the whole village gathered in the church and waited for news. Nobody "
     "slept that night, but by morning every boat had come home safely, and the children ran along the "
     "beach collecting shells and pieces of broken wood. On Saturdays the market square fills with "
     "farmers selling cheese, honey, apples and fresh eggs. My neighbour always buys too many potatoes "
     "and then gives half of them away to the students who live upstairs. Last week a young musician "
     "played the violin near the fountain, and people stopped to listen even though it had started to "
     "rain. In the afternoon we cooked a thick soup with carrots, onions and beans, and we talked for "
     "hours about the books we wanted to read before the end of the year."},
    {"de",
     "Der alte Leuchtturmwärter stieg jeden Abend die schmale Treppe hinauf, um die Lampe anzuzünden, "
     "bevor die Fischerboote zurückkehrten. Seine Tochter blieb lieber in der Küche, wo sie Brot backte "
     "und im Radio die Berichte über das Wetter auf der nördlichen See hörte. Als der Sturm Ende "
     "November endlich kam, versammelte sich das ganze Dorf in der Kirche und wartete auf Nachrichten. "
     "Niemand schlief in dieser Nacht, aber am Morgen waren alle Boote sicher heimgekehrt, und die "
     "Kinder liefen am Strand entlang und sammelten Muscheln und Stücke von zerbrochenem Holz. Samstags "
     "füllt sich der Marktplatz mit Bauern, die Käse, Honig, Äpfel und frische Eier verkaufen. Mein "
     "Nachbar kauft immer zu viele Kartoffeln und verschenkt dann die Hälfte an die Studenten, die oben "
     "wohnen. Letzte Woche spielte ein junger Musiker neben dem Brunnen Geige, und die Leute blieben "
     "stehen, um zuzuhören, obwohl es schon zu regnen begonnen hatte. Am Nachmittag kochten wir eine "
     "dicke Suppe mit Karotten, Zwiebeln und Bohnen und redeten stundenlang über die Bücher, die wir "
     "vor dem Ende des Jahres lesen wollten."},
    {"fr",
     "Le vieux gardien du phare montait chaque soir l'escalier étroit pour allumer la lampe avant le "
     "retour des bateaux de pêche. Sa fille préférait rester dans la cuisine, où elle faisait du pain et "
     "écoutait à la radio les nouvelles sur le temps qu'il faisait sur la mer du Nord. Quand la tempête "
     "est enfin arrivée à la fin du mois de novembre, tout le village s'est réuni dans l'église pour "
     "attendre des nouvelles. Personne n'a dormi cette nuit-là, mais le lendemain matin tous les bateaux "
     "étaient rentrés sans dommage, et les enfants couraient sur la plage pour ramasser des coquillages "
     "et des morceaux de bois. Le samedi, la place du marché se remplit de paysans qui vendent du "
     "fromage, du miel, des pommes et des œufs frais. Mon voisin achète toujours trop de pommes de terre "
     "et en donne ensuite la moitié aux étudiants qui habitent à l'étage. La semaine dernière, un jeune "
     "musicien jouait du violon près de la fontaine, et les gens s'arrêtaient pour l'écouter même s'il "
     "commençait à pleuvoir. L'après-midi, nous avons préparé une soupe épaisse avec des carottes, des "
     "oignons et des haricots, et nous avons parlé pendant des heures des livres que nous voulions lire "
     "avant la fin de l'année."},
    {"es",
     "El viejo guardián del faro subía cada tarde la estrecha escalera para encender la lámpara antes de "
     "que regresaran los barcos de pesca. Su hija prefería quedarse en la cocina, donde horneaba pan y "
     "escuchaba en la radio las noticias sobre el tiempo en el mar del norte. Cuando la tormenta llegó "
     "por fin a finales de noviembre, todo el pueblo se reunió en la iglesia a esperar noticias. Nadie "
     "durmió aquella noche, pero por la mañana todos los barcos habían vuelto sanos y salvos, y los "
     "niños corrían por la playa recogiendo conchas y trozos de madera rota. Los sábados la plaza del "
     "mercado se llena de campesinos que venden queso, miel, manzanas y huevos frescos. Mi vecino siempre "
     "compra demasiadas patatas y luego regala la mitad a los estudiantes que viven arriba. La semana "
     "pasada un joven músico tocaba el violín junto a la fuente, y la gente se detenía a escucharlo "
     "aunque ya había empezado a llover. Por la tarde cocinamos una sopa espesa con zanahorias, cebollas "
     "y judías, y hablamos durante horas de los libros que queríamos leer antes de que terminara el año."},
    {"it",
     "Il vecchio guardiano del faro saliva ogni sera la scala stretta per accendere la lampada prima che "
     "le barche dei pescatori tornassero. Sua figlia preferiva restare in cucina, dove cuoceva il pane e "
     "ascoltava alla radio le notizie sul tempo nel mare del nord. Quando la tempesta arrivò finalmente "
     "alla fine di novembre, tutto il paese si riunì nella chiesa ad aspettare notizie. Nessuno dormì "
     "quella notte, ma al mattino tutte le barche erano tornate sane e salve, e i bambini correvano "
     "lungo la spiaggia raccogliendo conchiglie e pezzi di legno spezzato. Il sabato la piazza del "
     "mercato si riempie di contadini che vendono formaggio, miele, mele e uova fresche. Il mio vicino "
     "compra sempre troppe patate e poi ne regala la metà agli studenti che abitano al piano di sopra. "
     "La settimana scorsa un giovane musicista suonava il violino vicino alla fontana, e la gente si "
     "fermava ad ascoltarlo anche se aveva già cominciato a piovere. Nel pomeriggio abbiamo cucinato una "
     "zuppa densa con carote, cipolle e fagioli, e abbiamo parlato per ore dei libri che volevamo "
     "leggere prima della fine dell'anno."},
    {"pt",
     "O velho guarda do farol subia todas as noites a escada estreita para acender a lâmpada antes que "
     "os barcos de pesca voltassem. A sua filha preferia ficar na cozinha, onde fazia pão e ouvia no "
     "rádio as notícias sobre o tempo no mar do norte. Quando a tempestade finalmente chegou no fim de "
     "novembro, toda a aldeia se reuniu na igreja para esperar notícias. Ninguém dormiu naquela noite, "
     "mas de manhã todos os barcos tinham voltado em segurança, e as crianças corriam pela praia "
     "apanhando conchas e pedaços de madeira partida. Aos sábados a praça do mercado enche-se de "
     "agricultores que vendem queijo, mel, maçãs e ovos frescos. O meu vizinho compra sempre batatas a "
     "mais e depois oferece metade aos estudantes que moram no andar de cima. Na semana passada um "
     "jovem músico tocava violino junto à fonte, e as pessoas paravam para o ouvir, embora já tivesse "
     "começado a chover. À tarde cozinhámos uma sopa grossa com cenouras, cebolas e feijão, e falámos "
     "durante horas sobre os livros que queríamos ler antes do fim do ano."},
};

static uint64_t rng = 0x5EED0F1A5C11ULL;
static uint64_t splitmix64(void) {
  uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static const char* text_of(const char* code) {
  for (size_t i = 0; i < sizeof kTexts / sizeof kTexts[0]; ++i) {
    if (strcmp(kTexts[i].code, code) == 0) return kTexts[i].text;
  }
  return NULL;
}

/* The texts hold no '"', '\\' or control characters, so they go into JSON unescaped. */
static int write_text(const char* name, const char* text) {
  FILE* f = fopen(name, "w");
  if (!f) return 1;
  fprintf(f, "{\"text\":\"%s\"}\n", text);
  return fclose(f) != 0;
}

/* Writes `kb` KiB (at most) of the words of `code`'s text: repeated Fisher-Yates shuffles. */
static int write_shuffled(const char* name, const char* code, size_t kb) {
  static char copy[4096];
  const char* words[512];
  size_t n = 0;
  strncpy(copy, text_of(code), sizeof copy - 1);
  for (char* w = strtok(copy, " "); w && n < 512; w = strtok(NULL, " ")) words[n++] = w;
  FILE* f = fopen(name, "w");
  if (!f) return 1;
  fputs("{\"text\":\"", f);
  size_t limit = kb * 1024, written = 0;
  rng = 0x5EED0F1A5C11ULL + kb;
  for (;;) {
    for (size_t i = n - 1; i > 0; --i) {
      size_t j = (size_t)(splitmix64() % (i + 1));
      const char* t = words[i];
      words[i] = words[j];
      words[j] = t;
    }
    for (size_t i = 0; i < n; ++i) {
      size_t len = strlen(words[i]);
      if (written + len + 1 > limit) goto done;
      if (written > 0) fputc(' ', f);
      fputs(words[i], f);
      written += len + (written > 0);
    }
  }
done:
  fputs("\"}\n", f);
  return fclose(f) != 0;
}

int main(void) {
  char name[32];
  for (size_t i = 0; i < sizeof kTexts / sizeof kTexts[0]; ++i) {
    snprintf(name, sizeof name, "%s.json", kTexts[i].code);
    if (write_text(name, kTexts[i].text)) {
      perror(name);
      return 1;
    }
  }
  static const struct {
    const char* name;
    const char* code;
    size_t kb;
  } kSweep[] = {
      {"kb50.json", "fr", 50}, {"kb512.json", "pt", 512}, {"kb1024.json", "it", 1024}, {"kb2048.json", "es", 2048}};
  for (size_t i = 0; i < sizeof kSweep / sizeof kSweep[0]; ++i) {
    if (write_shuffled(kSweep[i].name, kSweep[i].code, kSweep[i].kb)) {
      perror(kSweep[i].name);
      return 1;
    }
  }
  return 0;
}
