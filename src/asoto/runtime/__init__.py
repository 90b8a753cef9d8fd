"""The run-time that serves graphs: resources, the worker, notifications, streaming, webhooks
and graph loading. Built-in flows and users' graphs (``langgraph.json``) are served alike; the
package root keeps only entry points and configuration."""
