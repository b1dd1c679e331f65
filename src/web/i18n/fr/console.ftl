# Les textes des consoles, en français.

skip-link = Aller au contenu
menu = Menu
sign-out = Se déconnecter
language = Langue
language-apply = Appliquer
language-saved = Langue enregistrée.
language-unknown = Choisissez l'une des langues du menu.

nav-workspace = Espace de travail
nav-dashboard = Tableau de bord
nav-crm = Clients
nav-tasks = Tâches
nav-inventory = Produits
nav-billing = Factures
nav-members = Membres
nav-roles = Rôles
nav-modules = Modules
nav-settings = Paramètres
nav-usage = Consommation
nav-audit = Journal
nav-tenants = Locataires
nav-staff = Équipe
nav-segments = Segments
nav-plans = Offres
nav-servers = Serveurs de bases de données
nav-outbox = Courriels sortants
nav-system = Système

members-count = { $n ->
    [one] { $n } membre
   *[other] { $n } membres
}

dashboard-get-ready = Préparer { $name }
dashboard-steps-done = { $done } sur { $total } terminées
dashboard-plan = Offre
dashboard-members = Membres
dashboard-access = Votre accès
dashboard-invoiced = Facturé ce mois-ci
dashboard-modules = Modules activés
dashboard-no-modules = Aucun module n'est encore activé.
dashboard-other-workspaces = Vos autres espaces de travail

usage-intro = Les appels d'API sont comptés par mois civil (UTC) ; le stockage est mesuré maintenant, sur la base de données de l'espace.
usage-of = sur
usage-unlimited = illimité
usage-records = Enregistrements des modules activés
usage-last-30-days = Les 30 derniers jours
usage-days-help = Par jour UTC. Survolez une barre pour voir sa valeur ; le tableau ci-dessous les donne toutes.
usage-download-csv = Télécharger en CSV
usage-csv-range = (ajoutez ?from=AAAA-MM-JJ&to=AAAA-MM-JJ pour une autre période de 400 jours au plus).
usage-last-12-months = Les 12 derniers mois
usage-table = Les 30 derniers jours en tableau
usage-people = Personnes
usage-people-note = { $members } membres et { $invited } invitations en attente
usage-modules = Modules
usage-api = Appels d'API ce mois-ci
usage-storage = Stockage
usage-unavailable = indisponible
