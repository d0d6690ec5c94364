/**
 * The {@code rillet demo} command: an in-process Kafka broker, the live job of {@code pipeline} on
 * a local MiniCluster, the shipped sample streams (or a file of events) fed at a steady rate, and
 * the committed outputs shown on the console as they arrive. {@link
 * dev.rillet.jobs.demo.DemoCommand} starts the broker and the job and wires the rest: {@link
 * dev.rillet.jobs.demo.Feeder} produces the events, {@link dev.rillet.jobs.demo.OutputWatcher}
 * reads the committed outputs onto the {@link dev.rillet.jobs.demo.ConsoleView}, {@link
 * dev.rillet.jobs.demo.Completion} says when every stream's outputs are in, and {@link
 * dev.rillet.jobs.demo.StopHook} turns Ctrl-C into a clean stop.
 */
package dev.rillet.jobs.demo;
