package dev.rillet.kafka;

import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.TextEvent;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.ResolvingDecoder;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.util.Utf8;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Decodes raw input records into {@link TextEvent}s and validates them. Never throws on bad input:
 * a record that is not a usable event becomes a {@link RejectedRecord} on the side output {@link
 * #REJECTED}, carrying the reason, its source topic/partition/offset/timestamp and its original key
 * and value bytes, and increments the {@code deadLetters} counter.
 *
 * <p>A record is rejected when its value is missing or is not an Avro single-object-encoded
 * TextEvent, when one of its strings is not valid UTF-8 (Avro would otherwise decode it with
 * replacement characters and the original bytes would be lost; the dead letter keeps them), when
 * streamId is blank, when seq is negative, when text is empty on an event that is not end-of-stream
 * (an end-of-stream event may carry no text), or when text is longer than {@link #MAX_EVENT_CHARS}.
 * docs/bad-input.md lists every case with its outcome.
 */
@PublicEvolving
public final class TextEventDecoder extends ProcessFunction<KafkaInputRecord, TextEvent> {
  private static final long serialVersionUID = 1L;

  static {
    AvroTrust.install();
  }

  /** Side output of the records that were rejected. */
  public static final OutputTag<RejectedRecord> REJECTED =
      new OutputTag<>("rejected", new AvroTypeInfo<>(RejectedRecord.class));

  /** Name of the counter of rejected records, in the operator's metric group. */
  public static final String DEAD_LETTERS_METRIC = "deadLetters";

  /**
   * The longest text (in UTF-16 chars, as {@code String.length()}) an event may carry; longer ones
   * are dead letters. The key is the command-line flag {@code --max-event-chars} of the jobs.
   */
  public static final ConfigOption<Integer> MAX_EVENT_CHARS =
      ConfigOptions.key("max-event-chars")
          .intType()
          .defaultValue(100_000)
          .withDescription(
              "Events whose text is longer than this many chars (UTF-16 code units) go to the"
                  + " dead-letter topic instead of the tagger, where one huge event would hold up"
                  + " the other streams of its bundle while it is tagged one token per step.");

  private final int maxEventChars;

  private transient BinaryMessageDecoder<TextEvent> decoder;
  private transient Counter deadLetters;

  /** A decoder with the default {@link #MAX_EVENT_CHARS}. */
  public TextEventDecoder() {
    this(MAX_EVENT_CHARS.defaultValue());
  }

  /**
   * @param maxEventChars events whose text is longer than this are rejected
   */
  public TextEventDecoder(int maxEventChars) {
    this.maxEventChars = checkMaxEventChars(maxEventChars);
  }

  /** {@code maxEventChars} if it is a usable limit. */
  static int checkMaxEventChars(int maxEventChars) {
    if (maxEventChars < 1) {
      throw new IllegalArgumentException(
          "--" + MAX_EVENT_CHARS.key() + " must be >= 1, got " + maxEventChars);
    }
    return maxEventChars;
  }

  @Override
  public void open(OpenContext openContext) {
    decoder = newDecoder();
    deadLetters = getRuntimeContext().getMetricGroup().counter(DEAD_LETTERS_METRIC);
  }

  @Override
  public void processElement(KafkaInputRecord in, Context ctx, Collector<TextEvent> out) {
    Reading reading = read(decoder, in.value, maxEventChars);
    if (reading.problem() != null) {
      reject(in, reading.problem(), ctx);
      return;
    }
    out.collect(reading.event());
  }

  /**
   * A decoder of Avro single-object encoded TextEvents (not thread-safe: one per user) whose
   * strings must be valid UTF-8: a string that is not fails the record with an {@link InvalidUtf8}
   * naming its field, instead of being decoded with replacement characters.
   */
  static BinaryMessageDecoder<TextEvent> newDecoder() {
    return new BinaryMessageDecoder<>(new StrictUtf8Data(), TextEvent.getClassSchema());
  }

  /** A record value read as a TextEvent: the valid event, or why the record is rejected. */
  record Reading(TextEvent event, String problem) {}

  /**
   * Decodes and validates {@code value}; never throws. The one decision of what is a usable event:
   * the decoder dead-letters what this rejects, and the source takes event times only from what it
   * accepts ({@link #eventTimeOf}).
   */
  static Reading read(BinaryMessageDecoder<TextEvent> decoder, byte[] value, int maxEventChars) {
    if (value == null) {
      return new Reading(null, "missing value (null record value, a tombstone)");
    }
    TextEvent event;
    try {
      event = decoder.decode(value);
    } catch (IOException | RuntimeException e) {
      // Garbage can fail anywhere in Avro (bad header, unknown fingerprint, truncated data,
      // impossible lengths): all of it is a dead letter, never a job failure.
      return new Reading(null, undecodable(e));
    }
    String problem = validate(event, maxEventChars);
    return problem == null ? new Reading(event, null) : new Reading(null, problem);
  }

  /**
   * The eventTime of {@code value} if this decoder accepts it, else {@link
   * KafkaInputRecord#NO_EVENT_TIME}; never throws.
   */
  static long eventTimeOf(
      BinaryMessageDecoder<TextEvent> decoder, byte[] value, int maxEventChars) {
    TextEvent event = read(decoder, value, maxEventChars).event();
    return event == null ? KafkaInputRecord.NO_EVENT_TIME : event.getEventTime();
  }

  /** Why {@code event} is unusable, or null if it is valid. */
  static String validate(TextEvent event, int maxEventChars) {
    String streamId = event.getStreamId();
    if (streamId == null || streamId.isBlank()) {
      return "missing streamId (null or blank)";
    }
    if (event.getSeq() < 0) {
      return "negative seq " + event.getSeq() + " (stream " + streamId + ")";
    }
    String text = event.getText();
    if ((text == null || text.isEmpty()) && !event.getEndOfStream()) {
      return "empty text on an event that is not end of stream (stream "
          + streamId
          + ", seq "
          + event.getSeq()
          + ")";
    }
    if (text != null && text.length() > maxEventChars) {
      return "text of "
          + text.length()
          + " chars is longer than the limit of "
          + maxEventChars
          + " (--"
          + MAX_EVENT_CHARS.key()
          + ") (stream "
          + streamId
          + ", seq "
          + event.getSeq()
          + ")";
    }
    return null;
  }

  private void reject(KafkaInputRecord in, String reason, Context ctx) {
    deadLetters.inc();
    ctx.output(
        REJECTED,
        RejectedRecord.newBuilder()
            .setReason(reason)
            .setSourceTopic(in.topic == null ? "" : in.topic)
            .setSourcePartition(in.partition)
            .setSourceOffset(in.offset)
            .setSourceTimestamp(in.timestamp)
            .setKey(in.key == null ? null : ByteBuffer.wrap(in.key))
            .setValue(in.value == null ? null : ByteBuffer.wrap(in.value))
            .build());
  }

  /** The reason for a value Avro could not decode, from the exception and its causes. */
  private static String undecodable(Throwable e) {
    Throwable root = e;
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof InvalidUtf8) {
        return c.getMessage() + "; the original bytes are this record's value";
      }
      root = c;
    }
    if (root instanceof EOFException) {
      return "cannot decode Avro TextEvent: truncated body (the value ends before the record does)";
    }
    // Avro wraps the real problem ("Decoding datum failed"): name both.
    return root == e
        ? "cannot decode Avro TextEvent: " + describe(e)
        : "cannot decode Avro TextEvent: " + describe(e) + ", caused by " + describe(root);
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank()
        ? e.getClass().getSimpleName()
        : e.getClass().getSimpleName() + ": " + message;
  }

  /** A string of the record that is not valid UTF-8; the message names its field and byte. */
  static final class InvalidUtf8 extends IOException {
    private static final long serialVersionUID = 1L;

    InvalidUtf8(String message) {
      super(message);
    }
  }

  /** Specific data whose readers decode strings strictly ({@link StrictUtf8Reader}). */
  private static final class StrictUtf8Data extends SpecificData {
    StrictUtf8Data() {
      super(TextEvent.class.getClassLoader());
      // The fast reader and custom coders would read strings without StrictUtf8Reader.
      setFastReaderEnabled(false);
      setCustomCoders(false);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public DatumReader createDatumReader(Schema writer, Schema reader) {
      return new StrictUtf8Reader(writer, reader, this);
    }
  }

  /**
   * Reads every string (field values, map keys and values) as UTF-8 that must be valid, and names
   * the record field a bad one was found in.
   */
  private static final class StrictUtf8Reader extends SpecificDatumReader<Object> {
    private final Utf8 scratch = new Utf8();

    StrictUtf8Reader(Schema writer, Schema reader, SpecificData data) {
      super(writer, reader, data);
    }

    @Override
    protected Object readString(Object old, Schema expected, Decoder in) throws IOException {
      Utf8 raw = in.readString(scratch);
      byte[] bytes = raw.getBytes();
      int length = raw.getByteLength();
      String s = new String(bytes, 0, length, StandardCharsets.UTF_8);
      // Bad bytes always decode to U+FFFD; only then is a strict second look needed.
      if (s.indexOf('\uFFFD') >= 0) {
        checkUtf8(bytes, length);
      }
      return s;
    }

    @Override
    protected void readField(
        Object record, Schema.Field field, Object oldDatum, ResolvingDecoder in, Object state)
        throws IOException {
      try {
        super.readField(record, field, oldDatum, in, state);
      } catch (InvalidUtf8 e) {
        throw new InvalidUtf8("field '" + field.name() + "' " + e.getMessage());
      }
    }

    private static void checkUtf8(byte[] bytes, int length) throws InvalidUtf8 {
      CharsetDecoder strict =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT);
      ByteBuffer in = ByteBuffer.wrap(bytes, 0, length);
      CoderResult result = strict.decode(in, CharBuffer.allocate(length), true);
      if (result.isError()) {
        throw new InvalidUtf8(
            "is not valid UTF-8: byte "
                + in.position()
                + " of its "
                + length
                + " cannot start or continue a character");
      }
    }
  }
}
