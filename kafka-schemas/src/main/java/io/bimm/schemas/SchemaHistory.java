package io.bimm.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Every version of a record schema that the project has shipped.
 *
 * <p>Each shipped version lives on the classpath as {@code io/bimm/schemas/history/NAME.vN.avsc},
 * numbered from 1 without gaps. A reader resolves records written with any of them. Changing a
 * schema under {@code src/main/avro} means adding the next {@code vN} file: {@code
 * SchemaHistoryTest} fails until the newest history entry equals the generated schema.
 */
public final class SchemaHistory {

    private static final String ROOT = "/io/bimm/schemas/history/";

    private SchemaHistory() {}

    /** All shipped versions of the record named {@code recordName}, oldest first. */
    public static List<Schema> versions(String recordName) {
        List<Schema> versions = new ArrayList<>();
        for (int v = 1; ; v++) {
            String path = ROOT + recordName + ".v" + v + ".avsc";
            try (InputStream in = SchemaHistory.class.getResourceAsStream(path)) {
                if (in == null) {
                    break;
                }
                versions.add(new Schema.Parser().parse(in));
            } catch (IOException e) {
                throw new IllegalStateException("Cannot read schema history file " + path, e);
            }
        }
        return versions;
    }
}
