package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.train.TrainJobOptions;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.configuration.ConfigOption;
import org.junit.jupiter.api.Test;

/**
 * One owner per configuration key: every class of the job's code that declares {@link ConfigOption}
 * constants is found by scanning the compiled classes, so a new options class or a key defined
 * twice cannot slip past.
 */
class OptionOwnershipTest {

    @Test
    void everyKeyIsDefinedByOneOptionInOneClass() throws Exception {
        Map<String, Set<ConfigOption<?>>> byKey = new TreeMap<>();
        Map<String, Set<String>> owners = new TreeMap<>();
        for (Class<?> c : optionClasses()) {
            for (Field f : optionFields(c)) {
                ConfigOption<?> o = (ConfigOption<?>) f.get(null);
                byKey.computeIfAbsent(
                                o.key(), k -> Collections.newSetFromMap(new IdentityHashMap<>()))
                        .add(o);
                owners.computeIfAbsent(o.key(), k -> new LinkedHashSet<>())
                        .add(c.getSimpleName() + "." + f.getName());
            }
        }
        assertThat(byKey).isNotEmpty();
        Map<String, Set<String>> duplicated =
                owners.entrySet().stream()
                        .filter(e -> byKey.get(e.getKey()).size() > 1)
                        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertThat(duplicated).as("keys defined by more than one option").isEmpty();
    }

    @Test
    void theValidatorKnowsEveryOptionClass() throws Exception {
        assertThat(DynamicOptions.OPTION_CLASSES)
                .containsExactlyInAnyOrderElementsOf(optionClasses());
    }

    @Test
    void trainListsEveryOptionOfItsOwnClass() throws Exception {
        List<ConfigOption<?>> listed = Arrays.asList(TrainJobOptions.all());
        for (Field f : optionFields(TrainJobOptions.class)) {
            assertThat(listed).as(f.getName()).contains((ConfigOption<?>) f.get(null));
        }
        assertThat(listed).doesNotHaveDuplicates();
    }

    @Test
    void everyListedKeyIsInTheProjectsNamespaces() {
        for (ConfigOption<?> o : TrainJobOptions.all()) {
            assertThat(DynamicOptions.NAMESPACES.stream().anyMatch(o.key()::startsWith))
                    .as(o.key())
                    .isTrue();
        }
    }

    /** Classes under {@code io/bimm} in the job's compiled classes that declare options. */
    static List<Class<?>> optionClasses()
            throws IOException, URISyntaxException, ClassNotFoundException {
        Path root =
                Path.of(
                        TrainJobOptions.class
                                .getProtectionDomain()
                                .getCodeSource()
                                .getLocation()
                                .toURI());
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root.resolve("io/bimm"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = root.relativize(p).toString().replace('/', '.');
                name = name.substring(0, name.length() - ".class".length());
                try {
                    Class<?> c = Class.forName(name, false, TrainJobOptions.class.getClassLoader());
                    if (!optionFields(c).isEmpty()) {
                        out.add(c);
                    }
                } catch (LinkageError e) {
                    // a class whose optional dependencies are absent declares no options
                }
            }
        }
        return out;
    }

    static List<Field> optionFields(Class<?> c) {
        List<Field> out = new ArrayList<>();
        for (Field f : c.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())
                    && ConfigOption.class.isAssignableFrom(f.getType())) {
                f.setAccessible(true);
                out.add(f);
            }
        }
        return out;
    }
}
