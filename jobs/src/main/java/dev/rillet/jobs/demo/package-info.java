/**
 * The {@code rillet demo} command: an in-process Kafka broker, the live job of {@code pipeline} on
 * a local MiniCluster, the shipped sample streams (or a file of events) fed at a steady rate, and
 * the committed outputs shown on the console as they arrive.
 */
package dev.rillet.jobs.demo;
