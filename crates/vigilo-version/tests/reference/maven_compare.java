// Reference for the Maven differential tests (crates/vigilo-version/tests/it/maven.rs):
// drives org.apache.maven.artifact.versioning.ComparableVersion from the
// maven-artifact jar of the machine's Maven.
//
//   javac -cp maven-artifact.jar -d OUT maven_compare.java
//   java -cp OUT:maven-artifact.jar MavenCompare MODE < input
//
// Versions travel as hex-encoded UTF-8 (so any text, control characters
// included, round-trips exactly). Modes, one record per input line:
//   version  prints the maven-artifact version (no input)
//   cmp      "HEX_A HEX_B" -> -1, 0 or 1 (the sign of A.compareTo(B))
//   sort     "HEX" -> the input line numbers (from 0) in ascending order
//            (a stable sort, so equal versions keep their input order)
//   bench    "HEX" -> compareTo calls per second, pairwise and sorting, as
//            benches/maven.rs measures them
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.maven.artifact.versioning.ComparableVersion;

final class MavenCompare {
    private MavenCompare() {}

    static String unhex(String hex) {
        byte[] b = new byte[hex.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        String mode = args.length > 0 ? args[0] : "";
        if (mode.equals("version")) {
            String v = ComparableVersion.class.getPackage().getImplementationVersion();
            try (var in = ComparableVersion.class.getResourceAsStream(
                    "/META-INF/maven/org.apache.maven/maven-artifact/pom.properties")) {
                if (in != null) {
                    var p = new java.util.Properties();
                    p.load(in);
                    v = p.getProperty("version", v);
                }
            }
            out.println(v);
            out.flush();
            return;
        }
        BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        for (String line; (line = r.readLine()) != null; ) {
            lines.add(line);
        }
        switch (mode) {
            case "cmp":
                for (String line : lines) {
                    String[] f = line.split(" ", -1);
                    int c = new ComparableVersion(unhex(f[0])).compareTo(new ComparableVersion(unhex(f[1])));
                    out.println(Integer.signum(c));
                }
                break;
            case "sort": {
                List<Integer> idx = new ArrayList<>();
                List<ComparableVersion> vs = new ArrayList<>();
                for (int i = 0; i < lines.size(); i++) {
                    idx.add(i);
                    vs.add(new ComparableVersion(unhex(lines.get(i))));
                }
                idx.sort((a, b) -> vs.get(a).compareTo(vs.get(b)));
                for (int i : idx) {
                    out.println(i);
                }
                break;
            }
            case "bench": {
                // As benches/maven.rs measures: best of 7 rounds of >= 300 ms.
                ComparableVersion[] vs = new ComparableVersion[lines.size()];
                for (int i = 0; i < vs.length; i++) {
                    vs[i] = new ComparableVersion(unhex(lines.get(i)));
                }
                int n = vs.length;
                long sink = 0;
                double pairwise = 0;
                for (int round = 0; round < 8; round++) {
                    long calls = 0;
                    long t0 = System.nanoTime();
                    while (System.nanoTime() - t0 < 300_000_000L) {
                        for (int i = 0; i < n; i++) {
                            sink += vs[i].compareTo(vs[(int) ((i * 7919L) % n)]);
                        }
                        calls += n;
                    }
                    double rate = calls / ((System.nanoTime() - t0) / 1e9);
                    if (round > 0) {
                        pairwise = Math.max(pairwise, rate);
                    }
                }
                long[] count = {0};
                List<ComparableVersion> list = java.util.Arrays.asList(vs.clone());
                new ArrayList<>(list).sort((a, b) -> {
                    count[0]++;
                    return a.compareTo(b);
                });
                double sorting = 0;
                for (int round = 0; round < 8; round++) {
                    long sorts = 0;
                    long t0 = System.nanoTime();
                    while (System.nanoTime() - t0 < 300_000_000L) {
                        List<ComparableVersion> copy = new ArrayList<>(list);
                        copy.sort(null);
                        sink += copy.size();
                        sorts++;
                    }
                    double rate = sorts * count[0] / ((System.nanoTime() - t0) / 1e9);
                    if (round > 0) {
                        sorting = Math.max(sorting, rate);
                    }
                }
                out.printf("ComparableVersion (Java %s): pairwise %.1f M comparisons/s, sorting %.1f M comparisons/s%n",
                        System.getProperty("java.version"), pairwise / 1e6, sorting / 1e6);
                out.printf("pairwise_per_s %.0f%n", pairwise);
                out.printf("sort_per_s %.0f%n", sorting);
                out.printf("sink %d%n", sink & 1);
                break;
            }
            default:
                System.err.println("usage: MavenCompare version|cmp|sort|bench < input");
                System.exit(2);
        }
        out.flush();
    }
}
