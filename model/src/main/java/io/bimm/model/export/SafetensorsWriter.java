package io.bimm.model.export;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes F32 tensors in the safetensors format: an 8-byte little-endian header length, a JSON
 * header ({@code dtype}, {@code shape}, {@code data_offsets}, optional {@code __metadata__}) padded
 * with spaces to 8 bytes, then the little-endian data.
 */
public final class SafetensorsWriter {

    private final Map<String, long[]> shapes = new LinkedHashMap<>();
    private final Map<String, float[]> data = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds a tensor; {@code values} row-major, length the product of {@code shape}. */
    public SafetensorsWriter add(String name, float[] values, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        if (n != values.length) {
            throw new IllegalArgumentException(
                    "Tensor " + name + " has " + values.length + " values for shape of " + n);
        }
        if (shapes.put(name, shape.clone()) != null) {
            throw new IllegalArgumentException("Duplicate tensor name " + name);
        }
        data.put(name, values);
        return this;
    }

    /** Adds a string entry to {@code __metadata__}. */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Writes the file. */
    public void write(Path path) throws IOException {
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            JsonObject t = new JsonObject();
            t.addProperty("dtype", "F32");
            JsonArray shape = new JsonArray();
            for (long s : e.getValue()) {
                shape.add(s);
            }
            t.add("shape", shape);
            long bytes = 4L * data.get(e.getKey()).length;
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + bytes);
            t.add("data_offsets", offsets);
            header.add(e.getKey(), t);
            offset += bytes;
        }
        byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        try (OutputStream out = Files.newOutputStream(path)) {
            out.write(head.array());
            for (float[] values : data.values()) {
                ByteBuffer buf =
                        ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
                buf.asFloatBuffer().put(values);
                out.write(buf.array());
            }
        }
    }
}
