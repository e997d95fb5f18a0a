/*
 * Log4jOracle: the reference for vigilo_detect::eval::evaluate, driven by a real log4j-core.
 *
 * Reads JSON lines on stdin, one JSON string per line (the payload; JSON so that newlines and
 * any other character survive), and writes one JSON object per line on stdout:
 *
 *     {"output": "<the substituted text>", "jndi": ["<key of each jndi lookup, in call order>"]}
 *     {"error": "<exception>"}            when Log4j throws (2.14.1 throws on cyclic substitution)
 *
 * The substitution is Log4j's own: org.apache.logging.log4j.core.lookup.StrSubstitutor over an
 * Interpolator, exactly as the message lookups of the vulnerable versions ran it. For
 * deterministic results the Interpolator's lookup map is cleared and only these are put back:
 *
 *   lower, upper  Log4j's own LowerLookup / UpperLookup (String.toLowerCase()/toUpperCase() in the
 *                 JVM's default locale: this program sets Locale.ROOT, run it with -Duser.language=en);
 *   date          Log4j's own DateLookup (SimpleDateFormat; only quoted literals are deterministic);
 *   jndi          a harmless lookup that records its key and returns "«jndi:" + key + "»".
 *
 * Every other prefix (env, sys, java, ctx, main, k8s, docker, spring, bundle, …) and variables
 * without a prefix resolve to null — the Interpolator's default lookup is an empty MapLookup — so
 * ":-" defaults apply.
 *
 * Recursive evaluation. Log4j up to 2.16 re-substituted every resolved value. Log4j 2.17.1+
 * (this is run against Debian's 2.19.0) has no setRecursiveEvaluationAllowed: a value is
 * re-substituted only when its LookupResult says isLookupEvaluationAllowedInValue(). We answer
 * true for lower, upper and date, which restores the vulnerable versions' behaviour for them
 * (`${lower:$${jndi:…}}` does look jndi up), and false for the jndi marker, which is opaque.
 * What 2.19 cannot be configured to do: re-substitute a ":-" default value (2.14.1 did), and
 * throw on a cyclic substitution (2.19 logs it and leaves the variable unresolved or takes its
 * default). The lookups are dynamic proxies, so the same source also runs against log4j-core
 * 2.14.1 (which has no LookupResult) for comparison.
 *
 * Usage (single-file source launch; or javac it into a temporary folder):
 *   java -Duser.language=en -Duser.country=US \
 *        -cp /usr/share/java/log4j-core.jar:/usr/share/java/log4j-api.jar Log4jOracle.java
 */

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.lookup.DateLookup;
import org.apache.logging.log4j.core.lookup.Interpolator;
import org.apache.logging.log4j.core.lookup.LowerLookup;
import org.apache.logging.log4j.core.lookup.MapLookup;
import org.apache.logging.log4j.core.lookup.StrLookup;
import org.apache.logging.log4j.core.lookup.StrSubstitutor;
import org.apache.logging.log4j.core.lookup.UpperLookup;
import org.apache.logging.log4j.status.StatusLogger;

public final class Log4jOracle {
    /** The keys the jndi lookup was called with while substituting the current line. */
    private static final List<String> JNDI_KEYS = new ArrayList<>();

    /** log4j-core 2.17.1+'s LookupResult interface, or null on older versions. */
    private static final Class<?> LOOKUP_RESULT = lookupResultClass();

    private Log4jOracle() {}

    public static void main(final String[] args) throws Exception {
        // Before any Log4j class initialises: no status output (cycle warnings) on stderr.
        System.setProperty("log4j2.StatusLogger.level", "OFF");
        Locale.setDefault(Locale.ROOT);
        StatusLogger.getLogger().setLevel(Level.OFF);

        final StrSubstitutor substitutor = newSubstitutor();
        final BufferedReader in =
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        final PrintWriter out = new PrintWriter(
                new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
        String line;
        int lineNo = 0;
        while ((line = in.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            final String payload;
            try {
                payload = Json.parseString(line);
            } catch (final IllegalArgumentException e) {
                throw new IllegalArgumentException("stdin line " + lineNo + ": " + e.getMessage(), e);
            }
            out.println(evaluate(substitutor, payload));
        }
        out.flush();
    }

    static StrSubstitutor newSubstitutor() {
        final Interpolator interpolator = new Interpolator(new MapLookup(new HashMap<>()));
        final Map<String, StrLookup> lookups = interpolator.getStrLookupMap();
        lookups.clear();
        lookups.put("lower", wrap(new LowerLookup(), true));
        lookups.put("upper", wrap(new UpperLookup(), true));
        lookups.put("date", wrap(new DateLookup(), true));
        lookups.put("jndi", wrap(new StrLookup() {
            @Override
            public String lookup(final String key) {
                JNDI_KEYS.add(key);
                return "\u00abjndi:" + key + "\u00bb";
            }

            @Override
            public String lookup(final org.apache.logging.log4j.core.LogEvent event, final String key) {
                return lookup(key);
            }
        }, false));
        return new StrSubstitutor(interpolator);
    }

    static String evaluate(final StrSubstitutor substitutor, final String payload) {
        JNDI_KEYS.clear();
        final StringBuilder json = new StringBuilder(payload.length() + 64);
        try {
            final String output = substitutor.replace(payload);
            json.append("{\"output\": ");
            Json.writeString(json, output);
            json.append(", \"jndi\": [");
            for (int i = 0; i < JNDI_KEYS.size(); i++) {
                if (i > 0) {
                    json.append(", ");
                }
                Json.writeString(json, JNDI_KEYS.get(i));
            }
            json.append("]}");
        } catch (final Exception | StackOverflowError e) {
            json.setLength(0);
            json.append("{\"error\": ");
            Json.writeString(json, e.getClass().getName() + ": " + e.getMessage());
            json.append('}');
        }
        return json.toString();
    }

    /**
     * A StrLookup delegating to {@code inner}, whose {@code evaluate} (log4j-core 2.17.1+) says
     * whether Log4j may substitute lookups inside the value. A proxy rather than a class so that
     * this file compiles and runs against versions without LookupResult.
     */
    static StrLookup wrap(final StrLookup inner, final boolean evaluationAllowedInValue) {
        final InvocationHandler handler = (proxy, method, args) -> {
            switch (method.getName()) {
                case "lookup":
                    return invoke(method, inner, args);
                case "evaluate": {
                    final String key = (String) args[args.length - 1];
                    final String value = inner.lookup(key);
                    return value == null ? null : lookupResult(value, evaluationAllowedInValue);
                }
                case "toString":
                    return "oracle(" + inner.getClass().getSimpleName() + ")";
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                default:
                    throw new UnsupportedOperationException(method.toString());
            }
        };
        return (StrLookup) Proxy.newProxyInstance(
                Log4jOracle.class.getClassLoader(), new Class<?>[] {StrLookup.class}, handler);
    }

    private static Object lookupResult(final String value, final boolean evaluationAllowedInValue) {
        final InvocationHandler handler = (proxy, method, args) -> {
            switch (method.getName()) {
                case "value":
                    return value;
                case "isLookupEvaluationAllowedInValue":
                    return evaluationAllowedInValue;
                case "toString":
                    return value;
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                default:
                    throw new UnsupportedOperationException(method.toString());
            }
        };
        return Proxy.newProxyInstance(
                Log4jOracle.class.getClassLoader(), new Class<?>[] {LOOKUP_RESULT}, handler);
    }

    private static Object invoke(final Method method, final Object target, final Object[] args)
            throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (final InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static Class<?> lookupResultClass() {
        try {
            return Class.forName("org.apache.logging.log4j.core.lookup.LookupResult");
        } catch (final ClassNotFoundException e) {
            return null;
        }
    }

    /** The little JSON this program needs: string literals in, strings and arrays out. */
    static final class Json {
        private Json() {}

        /** Parses a line holding exactly one JSON string literal (whitespace around allowed). */
        static String parseString(final String line) {
            int i = skipSpace(line, 0);
            if (i >= line.length() || line.charAt(i) != '"') {
                throw new IllegalArgumentException("expected a JSON string");
            }
            i++;
            final StringBuilder sb = new StringBuilder(line.length());
            while (true) {
                if (i >= line.length()) {
                    throw new IllegalArgumentException("unterminated JSON string");
                }
                final char c = line.charAt(i++);
                if (c == '"') {
                    break;
                }
                if (c < 0x20) {
                    throw new IllegalArgumentException("raw control character in JSON string");
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                if (i >= line.length()) {
                    throw new IllegalArgumentException("unterminated escape");
                }
                final char e = line.charAt(i++);
                switch (e) {
                    case '"': sb.append('"'); break;
                    case '\\': sb.append('\\'); break;
                    case '/': sb.append('/'); break;
                    case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'n': sb.append('\n'); break;
                    case 'r': sb.append('\r'); break;
                    case 't': sb.append('\t'); break;
                    case 'u':
                        if (i + 4 > line.length()) {
                            throw new IllegalArgumentException("short \\u escape");
                        }
                        sb.append((char) Integer.parseInt(line.substring(i, i + 4), 16));
                        i += 4;
                        break;
                    default:
                        throw new IllegalArgumentException("bad escape \\" + e);
                }
            }
            if (skipSpace(line, i) != line.length()) {
                throw new IllegalArgumentException("trailing characters after the JSON string");
            }
            return sb.toString();
        }

        private static int skipSpace(final String s, int i) {
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\r')) {
                i++;
            }
            return i;
        }

        /**
         * Appends {@code s} as a JSON string: UTF-8 text as is, quotes, backslashes and control
         * characters escaped, and lone surrogates as \\u escapes (they have no UTF-8 form).
         */
        static void writeString(final StringBuilder out, final String s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                final char c = s.charAt(i);
                switch (c) {
                    case '"': out.append("\\\""); break;
                    case '\\': out.append("\\\\"); break;
                    case '\n': out.append("\\n"); break;
                    case '\r': out.append("\\r"); break;
                    case '\t': out.append("\\t"); break;
                    default:
                        if (c < 0x20 || c == 0x7f) {
                            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                                && Character.isLowSurrogate(s.charAt(i + 1))) {
                            out.append(c).append(s.charAt(++i));
                        } else if (Character.isSurrogate(c)) {
                            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                }
            }
            out.append('"');
        }
    }
}
