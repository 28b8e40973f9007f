//! The client-side load balancer: picks a node for each request by the scenario's routing policy,
//! and health-checks the nodes so that a dead node stops getting traffic after a check notices.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use rand::Rng;

use crate::cluster::{Endpoint, Endpoints};
use crate::scenario::Routing;

/// Routes one strategy's requests over its nodes.
#[derive(Debug)]
pub struct Balancer {
    endpoints: Arc<Endpoints>,
    /// The routing policy, as an index into [`POLICIES`]: a `set_routing` event changes it live.
    routing: AtomicU8,
    next: AtomicUsize,
}

const POLICIES: [Routing; 4] = [Routing::RoundRobin, Routing::Random, Routing::Sticky, Routing::LeastOutstanding];

fn policy_index(routing: Routing) -> u8 {
    POLICIES.iter().position(|&p| p == routing).map_or(0, |i| i as u8)
}

impl Balancer {
    /// A balancer over `endpoints`, starting with `routing`.
    pub(crate) fn new(endpoints: Arc<Endpoints>, routing: Routing) -> Self {
        Self { endpoints, routing: AtomicU8::new(policy_index(routing)), next: AtomicUsize::new(0) }
    }

    /// The routing policy in force.
    pub fn routing(&self) -> Routing {
        POLICIES[usize::from(self.routing.load(Relaxed)) % POLICIES.len()]
    }

    /// Changes the routing policy from the next request on.
    pub fn set_routing(&self, routing: Routing) {
        self.routing.store(policy_index(routing), Relaxed);
    }

    /// The nodes it routes over.
    pub fn endpoints(&self) -> &Arc<Endpoints> {
        &self.endpoints
    }

    /// The node for the next request. `affinity` is the visit's sticky node: with sticky routing
    /// it is kept while that node is up, and replaced (a redispatch) when it is not.
    pub fn pick(&self, affinity: &mut Option<Arc<Endpoint>>) -> Option<Arc<Endpoint>> {
        let routing = self.routing();
        if routing == Routing::Sticky {
            if let Some(node) = affinity.as_ref().filter(|n| n.is_up()) {
                return Some(node.clone());
            }
        }
        // Chosen under the read lock, without copying the list: this runs for every request.
        let chosen = self.endpoints.with_all(|all| {
            let up = || all.iter().filter(|e| e.is_up());
            let count = up().count();
            if count == 0 {
                return None;
            }
            match routing {
                Routing::RoundRobin | Routing::Sticky => up().nth(self.next.fetch_add(1, Relaxed) % count),
                Routing::Random => up().nth(rand::rng().random_range(0..count)),
                Routing::LeastOutstanding => {
                    // Ties go to the first node after a rotating offset, so they spread instead of
                    // piling on node 1.
                    let start = self.next.fetch_add(1, Relaxed) % count;
                    up().enumerate().min_by_key(|(i, e)| (e.outstanding(), (i + count - start) % count)).map(|(_, e)| e)
                }
            }
            .cloned()
        })?;
        if routing == Routing::Sticky {
            *affinity = Some(chosen.clone());
        }
        Some(chosen)
    }

    /// Checks every node once at `path` (a 2xx is up), or without a path at `/` (any answer is up);
    /// a node that does not answer within `timeout` is down, and so is one marked dead.
    pub async fn check_health(&self, client: &reqwest::Client, timeout: Duration, path: Option<&str>) {
        let checks = self.endpoints.snapshot().into_iter().map(|endpoint| {
            let request = client.get(format!("{}{}", endpoint.url, path.unwrap_or("/"))).timeout(timeout).send();
            async move {
                // A node known to be gone (killed, or taken out of the run) is not asked: it may
                // still answer (an endpoint removed from the run keeps running).
                if !endpoint.is_alive() {
                    endpoint.set_up(false);
                    return;
                }
                // Without a health path, any HTTP answer means the server is up.
                let healthy = request.await.is_ok_and(|r| path.is_none() || r.status().is_success());
                endpoint.set_up(healthy);
            }
        });
        futures_util::future::join_all(checks).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(n: usize) -> Arc<Endpoints> {
        let endpoints = Arc::new(Endpoints::default());
        for i in 0..n {
            endpoints.set(i, Endpoint::new(format!("session/{}", i + 1), format!("http://127.0.0.1:{}", 1000 + i)));
        }
        endpoints
    }

    #[test]
    fn round_robin_cycles_over_the_nodes_that_are_up() {
        let endpoints = cluster(3);
        endpoints.get(1).unwrap().set_up(false);
        let balancer = Balancer::new(endpoints, Routing::RoundRobin);
        let ids: Vec<String> = (0..4).map(|_| balancer.pick(&mut None).unwrap().id.clone()).collect();
        assert_eq!(ids, ["session/1", "session/3", "session/1", "session/3"]);
    }

    #[test]
    fn sticky_keeps_the_visit_on_one_node_until_it_is_down() {
        let endpoints = cluster(3);
        let balancer = Balancer::new(endpoints.clone(), Routing::Sticky);
        let mut affinity = None;
        let first = balancer.pick(&mut affinity).unwrap().id.clone();
        for _ in 0..5 {
            assert_eq!(balancer.pick(&mut affinity).unwrap().id, first);
        }
        affinity.as_ref().unwrap().set_up(false);
        let moved = balancer.pick(&mut affinity).unwrap().id.clone();
        assert_ne!(moved, first, "a visit whose node is down is redispatched");
        assert_eq!(affinity.unwrap().id, moved);
    }

    #[test]
    fn least_outstanding_avoids_the_busy_node() {
        let endpoints = cluster(2);
        let balancer = Balancer::new(endpoints.clone(), Routing::LeastOutstanding);
        let _busy = endpoints.get(0).unwrap().start_request();
        for _ in 0..4 {
            assert_eq!(balancer.pick(&mut None).unwrap().id, "session/2");
        }
    }

    #[test]
    fn no_node_up_means_no_pick() {
        let endpoints = cluster(1);
        endpoints.get(0).unwrap().set_up(false);
        assert!(Balancer::new(endpoints, Routing::Random).pick(&mut None).is_none());
    }
}
