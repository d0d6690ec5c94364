package dev.rillet.kafka;

import dev.rillet.avro.RejectedRecord;
import dev.rillet.avro.TextEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.specific.SpecificData;
import org.apache.flink.api.common.functions.OpenContext;
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
 * TextEvent, when streamId is blank, when seq is negative, or when text is empty on an event that
 * is not end-of-stream (an end-of-stream event may carry no text).
 */
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

  private transient BinaryMessageDecoder<TextEvent> decoder;
  private transient Counter deadLetters;

  @Override
  public void open(OpenContext openContext) {
    decoder = newDecoder();
    deadLetters = getRuntimeContext().getMetricGroup().counter(DEAD_LETTERS_METRIC);
  }

  @Override
  public void processElement(KafkaInputRecord in, Context ctx, Collector<TextEvent> out) {
    Reading reading = read(decoder, in.value);
    if (reading.problem() != null) {
      reject(in, reading.problem(), ctx);
      return;
    }
    out.collect(reading.event());
  }

  /** A decoder of Avro single-object encoded TextEvents (not thread-safe: one per user). */
  static BinaryMessageDecoder<TextEvent> newDecoder() {
    return new BinaryMessageDecoder<>(
        SpecificData.getForClass(TextEvent.class), TextEvent.getClassSchema());
  }

  /** A record value read as a TextEvent: the valid event, or why the record is rejected. */
  record Reading(TextEvent event, String problem) {}

  /**
   * Decodes and validates {@code value}; never throws. The one decision of what is a usable event:
   * the decoder dead-letters what this rejects, and the source takes event times only from what it
   * accepts ({@link #eventTimeOf}).
   */
  static Reading read(BinaryMessageDecoder<TextEvent> decoder, byte[] value) {
    if (value == null) {
      return new Reading(null, "missing value (null record value)");
    }
    TextEvent event;
    try {
      event = decoder.decode(value);
    } catch (IOException | RuntimeException e) {
      // Garbage can fail anywhere in Avro (bad header, unknown fingerprint, truncated data,
      // impossible lengths): all of it is a dead letter, never a job failure.
      return new Reading(null, "cannot decode Avro TextEvent: " + describe(e));
    }
    String problem = validate(event);
    return problem == null ? new Reading(event, null) : new Reading(null, problem);
  }

  /**
   * The eventTime of {@code value} if this decoder accepts it, else {@link
   * KafkaInputRecord#NO_EVENT_TIME}; never throws.
   */
  static long eventTimeOf(BinaryMessageDecoder<TextEvent> decoder, byte[] value) {
    TextEvent event = read(decoder, value).event();
    return event == null ? KafkaInputRecord.NO_EVENT_TIME : event.getEventTime();
  }

  /** Why {@code event} is unusable, or null if it is valid. */
  static String validate(TextEvent event) {
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

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank()
        ? e.getClass().getSimpleName()
        : e.getClass().getSimpleName() + ": " + message;
  }
}
