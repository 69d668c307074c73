package io.bimm.flink.cli;

import io.bimm.flink.fault.FaultOptions;
import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.flink.train.ImageOptions;
import io.bimm.flink.train.ModelOptions;
import io.bimm.flink.train.PrecisionOptions;
import io.bimm.flink.train.TrainJobOptions;
import io.bimm.flink.train.TrainingLogOptions;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.MemorySize;

/**
 * Checks the {@code -D key=value} settings of a command before anything runs: a key in one of the
 * project's namespaces ({@link #NAMESPACES}) must be an option the command accepts, and every
 * accepted option's value must parse. Keys outside them (Flink's own, such as {@code
 * taskmanager.numberOfTaskSlots} or {@code metrics.reporter.*}) pass through untouched.
 *
 * <p>Keys under a prefix that passes properties through are accepted as they are: the prefixes of
 * the accepted map-type options ({@code ConfigOptions.key("x").mapType()} reads {@code x.*}), and
 * those in {@link #OPEN_PREFIXES}.
 */
public final class DynamicOptions {

    /** Key prefixes the project owns. */
    public static final List<String> NAMESPACES =
            List.of("prep.", "train.", "model.", "kafka.", "fault.");

    /**
     * Prefixes inside {@link #NAMESPACES} under which any key is accepted, for settings handed on
     * without an option of their own. Add one here when a component passes such keys through.
     */
    public static final List<String> OPEN_PREFIXES = List.of();

    /** The classes that define the project's options; each key is defined in exactly one. */
    public static final List<Class<?>> OPTION_CLASSES =
            List.of(
                    TrainJobOptions.class,
                    ModelOptions.class,
                    TrainingLogOptions.class,
                    ImageOptions.class,
                    PrecisionOptions.class,
                    PrepConfigOptions.class,
                    FaultOptions.class);

    private final Map<String, ConfigOption<?>> accepted = new LinkedHashMap<>();
    private final List<String> openPrefixes = new ArrayList<>(OPEN_PREFIXES);

    private DynamicOptions(List<ConfigOption<?>> options) {
        for (ConfigOption<?> o : options) {
            accepted.put(o.key(), o);
            for (FallbackKey k : o.fallbackKeys()) {
                accepted.put(k.getKey(), o);
            }
            if (isMapOption(o)) {
                openPrefixes.add(o.key() + ".");
            }
        }
    }

    /** A checker for a command that accepts {@code options}. */
    public static DynamicOptions accepting(ConfigOption<?>... options) {
        return new DynamicOptions(Arrays.asList(options));
    }

    /**
     * The configuration {@code settings} describe, after checking them.
     *
     * @throws IllegalArgumentException one sentence naming the first key that is unknown or whose
     *     value does not parse, with the closest accepted key when there is one
     */
    public Configuration configuration(Map<String, String> settings) {
        for (String key : settings.keySet()) {
            checkKey(key);
        }
        Configuration conf = Configuration.fromMap(settings);
        for (Map.Entry<String, String> e : settings.entrySet()) {
            ConfigOption<?> o = accepted.get(e.getKey());
            if (o != null) {
                checkValue(conf, o, e.getKey(), e.getValue());
            }
        }
        return conf;
    }

    private void checkKey(String key) {
        if (accepted.containsKey(key)
                || NAMESPACES.stream().noneMatch(key::startsWith)
                || openPrefixes.stream().anyMatch(key::startsWith)) {
            return;
        }
        if (definedKeys().contains(key)) {
            throw new IllegalArgumentException("option '" + key + "' is not read by this command.");
        }
        String best = closest(key, accepted.keySet());
        throw new IllegalArgumentException(
                "unknown option '"
                        + key
                        + "'"
                        + (best == null ? "." : " (did you mean '" + best + "'?)"));
    }

    private static void checkValue(
            Configuration conf, ConfigOption<?> o, String key, String value) {
        try {
            conf.get(o);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "bad value '" + value + "' for option '" + key + "': expected " + expected(o));
        }
    }

    /** What an option's values look like, from its default value's type. */
    static String expected(ConfigOption<?> o) {
        Object d = o.hasDefaultValue() ? o.defaultValue() : "";
        if (d instanceof Enum<?> e) {
            return "one of "
                    + Arrays.stream(e.getDeclaringClass().getEnumConstants())
                            .map(DynamicOptions::display)
                            .collect(Collectors.joining(", "))
                    + ".";
        } else if (d instanceof Integer || d instanceof Long) {
            return "an integer.";
        } else if (d instanceof Double || d instanceof Float) {
            return "a number.";
        } else if (d instanceof Boolean) {
            return "true or false.";
        } else if (d instanceof Duration) {
            return "a duration such as 30s or 2min.";
        } else if (d instanceof MemorySize) {
            return "a size such as 64mb.";
        }
        return "a " + d.getClass().getSimpleName() + ".";
    }

    /** A value as users write it: enum constants in lower case. */
    static String display(Object value) {
        return value instanceof Enum<?> e
                ? e.name().toLowerCase(Locale.ROOT)
                : String.valueOf(value);
    }

    /**
     * The accepted key nearest to {@code key} by edit distance, or null if none is close: within a
     * third of the key's length (at least 3 edits), or else one that extends or shortens it ({@code
     * fault.throw-at} for {@code fault.throw-at-sample}).
     */
    static String closest(String key, Set<String> keys) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        String bestPrefix = null;
        int bestPrefixDistance = Integer.MAX_VALUE;
        for (String k : keys) {
            int d = levenshtein(key, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
            if ((k.startsWith(key) || key.startsWith(k)) && d < bestPrefixDistance) {
                bestPrefix = k;
                bestPrefixDistance = d;
            }
        }
        return bestDistance <= Math.max(3, key.length() / 3) ? best : bestPrefix;
    }

    /** Edits (insert, delete, substitute one character) that turn {@code a} into {@code b}. */
    static int levenshtein(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Every key the project's option classes define. */
    static Set<String> definedKeys() {
        Set<String> keys = new TreeSet<>();
        for (ConfigOption<?> o : definedOptions(OPTION_CLASSES)) {
            keys.add(o.key());
        }
        return keys;
    }

    /** The public static {@link ConfigOption} fields of {@code classes}, in declaration order. */
    static List<ConfigOption<?>> definedOptions(List<Class<?>> classes) {
        List<ConfigOption<?>> out = new ArrayList<>();
        for (Class<?> c : classes) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())
                        && Modifier.isPublic(f.getModifiers())
                        && ConfigOption.class.isAssignableFrom(f.getType())) {
                    try {
                        out.add((ConfigOption<?>) f.get(null));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Whether {@code o} is a map-type option, which Flink also reads from {@code key.*} entries
     * (its value class is not public, so this asks the configuration).
     */
    private static boolean isMapOption(ConfigOption<?> o) {
        Configuration probe = new Configuration();
        probe.setString(o.key() + ".probe", "1");
        try {
            return probe.getOptional(o).orElse(null) instanceof Map<?, ?> m && !m.isEmpty();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
