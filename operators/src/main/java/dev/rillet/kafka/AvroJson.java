package dev.rillet.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.flink.annotation.Internal;

/**
 * Writes any Avro record (Rillet's generated classes included) as one compact JSON object, for
 * {@code --sink-jsonl} and {@code dump}: records and maps become objects, arrays become arrays,
 * numbers stay numbers (floats as their shortest decimal form), strings and enums become strings,
 * bytes and fixed become base64 strings, a union is written as its branch's value (no type
 * wrapper), null as null. This is for people and tools, not Avro's own JSON encoding.
 */
@Internal
public final class AvroJson {
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final Base64.Encoder BASE64 = Base64.getEncoder();

  private AvroJson() {}

  /** {@code record} as one line of JSON (no line break). */
  public static String toJson(IndexedRecord record) {
    StringWriter out = new StringWriter(256);
    try (JsonGenerator gen = FACTORY.createGenerator(out)) {
      write(record, gen);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** Writes {@code record} as one JSON object to {@code gen}. */
  public static void write(IndexedRecord record, JsonGenerator gen) throws IOException {
    writeValue(record.getSchema(), record, gen);
  }

  private static void writeValue(Schema schema, Object value, JsonGenerator gen)
      throws IOException {
    if (value == null) {
      gen.writeNull();
      return;
    }
    switch (schema.getType()) {
      case RECORD:
        IndexedRecord record = (IndexedRecord) value;
        gen.writeStartObject();
        for (Schema.Field field : schema.getFields()) {
          gen.writeFieldName(field.name());
          writeValue(field.schema(), record.get(field.pos()), gen);
        }
        gen.writeEndObject();
        break;
      case ARRAY:
        gen.writeStartArray();
        for (Object item : (Collection<?>) value) {
          writeValue(schema.getElementType(), item, gen);
        }
        gen.writeEndArray();
        break;
      case MAP:
        gen.writeStartObject();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
          gen.writeFieldName(e.getKey().toString());
          writeValue(schema.getValueType(), e.getValue(), gen);
        }
        gen.writeEndObject();
        break;
      case UNION:
        int branch = SpecificData.get().resolveUnion(schema, value);
        writeValue(schema.getTypes().get(branch), value, gen);
        break;
      case STRING:
      case ENUM:
        gen.writeString(value.toString());
        break;
      case BYTES:
        ByteBuffer buffer = ((ByteBuffer) value).duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        gen.writeString(BASE64.encodeToString(bytes));
        break;
      case FIXED:
        gen.writeString(BASE64.encodeToString(((GenericFixed) value).bytes()));
        break;
      case INT:
        gen.writeNumber(((Number) value).intValue());
        break;
      case LONG:
        gen.writeNumber(((Number) value).longValue());
        break;
      case FLOAT:
        gen.writeNumber(((Number) value).floatValue());
        break;
      case DOUBLE:
        gen.writeNumber(((Number) value).doubleValue());
        break;
      case BOOLEAN:
        gen.writeBoolean((Boolean) value);
        break;
      case NULL:
        gen.writeNull();
        break;
      default:
        throw new IllegalArgumentException("unsupported Avro type " + schema.getType());
    }
  }
}
