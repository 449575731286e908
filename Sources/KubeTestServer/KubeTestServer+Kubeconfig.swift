extension KubeTestServer {
    /// A kubeconfig that points at this server with `token` (the server's bearer token), for
    /// clients that read one: `module-controller --kubeconfig`, kubectl.
    public func kubeconfig(token: String) -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: test-server
        clusters:
        - name: test-server
          cluster: {server: "\(baseURL)"}
        users:
        - name: test-user
          user: {token: "\(token)"}
        contexts:
        - name: test-server
          context: {cluster: test-server, user: test-user}
        """
    }
}
