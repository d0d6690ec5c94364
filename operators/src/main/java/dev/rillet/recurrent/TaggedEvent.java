package dev.rillet.recurrent;

import dev.rillet.segment.SegmentedEvent;
import java.util.Arrays;
import org.apache.flink.annotation.PublicEvolving;

/**
 * A {@link SegmentedEvent} after the {@link RecurrentTagger}: each token's real-time tag and its
 * probability, and the stream's running sentiment after the event's last token.
 *
 * <p>Emitted once for every segmented event the tagger receives (close markers included, with no
 * tags), in per-stream order. A Flink POJO, so no Kryo on the wire between operators.
 */
@PublicEvolving
public final class TaggedEvent {
  public SegmentedEvent event;

  /** Tag label of each token of {@code event.tokens}, same order. */
  public String[] tags;

  /** Softmax probability of each tag. */
  public float[] tagProbabilities;

  /**
   * Sentiment class probabilities after the event's last token (ordered as {@link
   * #sentimentLabels}); empty when the event has no tokens or the model has no sentiment head.
   */
  public float[] sentimentProbabilities;

  /** The model's sentiment labels (shared array; do not modify). */
  public String[] sentimentLabels;

  /** Tokens of the stream the model has consumed, this event's included. */
  public long tokensSeen;

  /** id@version of the model that tagged the event. */
  public String modelId;

  /**
   * True when the stream moved to {@link #modelId} at this event from another model's state (a
   * model update with policy RESET): its tags start from a zero state here.
   */
  public boolean modelSwitched;

  public TaggedEvent() {}

  public TaggedEvent(
      SegmentedEvent event,
      String[] tags,
      float[] tagProbabilities,
      float[] sentimentProbabilities,
      String[] sentimentLabels,
      long tokensSeen,
      String modelId) {
    this.event = event;
    this.tags = tags;
    this.tagProbabilities = tagProbabilities;
    this.sentimentProbabilities = sentimentProbabilities;
    this.sentimentLabels = sentimentLabels;
    this.tokensSeen = tokensSeen;
    this.modelId = modelId;
  }

  /** True when the event carries a sentiment reading. */
  public boolean hasSentiment() {
    return sentimentProbabilities != null && sentimentProbabilities.length > 0;
  }

  @Override
  public String toString() {
    return "TaggedEvent{"
        + event
        + " tags="
        + Arrays.toString(tags)
        + " sentiment="
        + Arrays.toString(sentimentProbabilities)
        + " seen="
        + tokensSeen
        + "}";
  }
}
